"""The emulator reacts to live events: the rule engine over each running job's events, the replies it
records, the callbacks it sends (docs/emulator.md, "Reacting to events"; rooms and commands: docs/emulator-rooms.md).

- **Which rules**: a job runs the `interaction_rules` of its configuration (snapshot.py): its room's as
  they were when the job started, until REWRITE_INTERACTION_RULES replaces them. A room holds copies:
  every entry is a rule as it was sent, its `group_id` / `group_name` only saying where it was copied
  from; editing a group changes no room and no job. An entry without an `event_type` matches no event
  (`room_rules` reports it, naming the group when it names one: the service imports nothing by name).
- **One RuleEngine per job**, seeded with ENGINE_SEED (0), which is also `smartlive test`'s seed when a
  test names none: RANDOM replies come out as the test predicts. The engine lives in memory; when a
  process meets a job whose events are already stored (an emulator restart with `--data`, each `--local`
  CLI run) it first replays them, silently, so time windows, once-per-job rules, aggregates and reply
  positions carry on as if it had never stopped. Rules rewritten by command start afresh: the replay
  begins at the first event after the rewrite (`rules_since`).
- **Each rule that fires** is one reply record (`replies` table, GET /_emulator/replies/{job_id}) with a
  fresh reply_id; CALLBACK modes POST to the job's interaction_callback_url, spoken replies send
  REPLY_COMMAND_FINISH to live_event_callback_config when subscribed, signed by
  reconciler.events.callbacks.sign_callback. Sending is callbacks_out.py's business.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from reconciler.api import models as m
from reconciler.emulator import snapshot
from reconciler.emulator.callbacks_out import Deliverer, Delivery, redact_url, refusal
from reconciler.emulator.clock import Clock, rfc3339, to_ms
from reconciler.emulator.storage import JobRow, Store
from reconciler.events.callbacks import sign_callback
from reconciler.events.engine import Event, Outcome, RuleEngine, RuleError

log = logging.getLogger("reconciler.emulator")

#: The seed of every job's engine: reply_order RANDOM replays as `smartlive test` (seed 0) predicts.
ENGINE_SEED: Final = 0
#: Callback record types.
INTERACTION: Final = "INTERACTION"
REPLY_COMMAND_FINISH: Final = "REPLY_COMMAND_FINISH"


def _new_id() -> str:
    """32 hex digits, as the service's ids (a uuid4's randomness, without building a UUID)."""
    return os.urandom(16).hex()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------------
# Which rules a job runs
# ----------------------------------------------------------------------------------------------------


def room_rules(config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rules a job with this configuration runs (its interaction_rules, as sent, in order) and the
    entries that can never fire for want of an event_type.

    An entry that only names a group is not an import: nothing documents the service looking a group up,
    and a room holds what it was sent. It stays in the room (and the job) as a rule that matches nothing.
    """
    rules = [dict(entry) for entry in config.get("interaction_rules") or []]
    problems = []
    for index, rule in enumerate(rules):
        if rule.get("event_type") is not None:
            continue
        group = rule.get("group_id") or rule.get("group_name")
        copied = (
            f"; it names group {group!r}, but a room holds copies of rules, not references to a group"
            if group
            else ""
        )
        problems.append(f"interaction_rules[{index}]: no event_type, it matches no event{copied}")
    return rules, problems


def rule_models(rules: Sequence[dict[str, Any]]) -> list[m.InteractionRuleInfo]:
    # The lenient view: provenance fields (group_id, ...) are not InteractionRuleInfo's.
    return [m.InteractionRuleDetailInfo.model_validate(rule) for rule in rules]


def build_engine(rules: Sequence[dict[str, Any]]) -> RuleEngine:
    """The job's engine; RuleError (or a ValueError from validation) when a rule cannot run."""
    return RuleEngine(rule_models(rules), seed=ENGINE_SEED)


def check_rules(rules: Sequence[dict[str, Any]]) -> list[str]:
    """Problems that keep the engine from running these rules (checked when a job starts)."""
    if not rules:
        return []
    try:
        build_engine(rules)
    except (RuleError, ValueError) as error:
        return [f"the rules cannot run, the job will not react to events: {error}"]
    return []


# ----------------------------------------------------------------------------------------------------
# Reacting
# ----------------------------------------------------------------------------------------------------


@dataclass
class _JobReactor:
    engine: RuleEngine | None
    #: Index (in the job's stored events) of the next event to arrive.
    next_index: int
    room_id: str
    interaction_url: str | None
    #: live_event_callback_config with REPLY_COMMAND_FINISH subscribed, else None.
    finish_config: dict[str, Any] | None


def _reply_fields(outcome: Outcome) -> dict[str, Any]:
    reply = outcome.reply
    audio = None
    if reply is not None and (reply.audio_url is not None or reply.audio_name is not None):
        audio = {k: v for k, v in (("audio_url", reply.audio_url), ("audio_name", reply.audio_name)) if v}
    return {"reply_text": reply.text if reply is not None else None, "reply_audio": audio}


def _plays(outcome: Outcome) -> bool:
    """The streamer (or the co-streamer) says something: a spoken mode with a reply, or the robot's."""
    return outcome.spoken and (outcome.reply is not None or outcome.reply_mode == "INTELLIGENT_REPLY")


class Reactions:
    """The emulator's reaction to reported events; `on_events` is called by the backend after it stored
    a report's events."""

    def __init__(self, store: Store, clock: Clock, deliverer: Deliverer) -> None:
        self.store = store
        self.clock = clock
        self.deliverer = deliverer
        self._jobs: dict[str, _JobReactor] = {}

    def forget(self, job_id: str) -> None:
        """The job ended: its engine is not needed any more."""
        self._jobs.pop(job_id, None)

    def reset(self) -> None:
        self._jobs.clear()

    def _load(self, job: JobRow, arrived: int) -> _JobReactor:
        with self.store.read() as tx:
            stored = snapshot.config_of(tx, job)
            rules = snapshot.rules_of(stored)
            history = tx.events(job.job_id) if rules else []
        engine: RuleEngine | None = None
        if rules:
            try:
                engine = build_engine(rules)
            except (RuleError, ValueError) as error:
                log.warning("emulator: job %s will not react to events: %s", job.job_id, error)
        # Replay what this process has not seen (the events of earlier runs), to restore the job's state; the
        # events before a rules rewrite met other rules, so the current ones start after them.
        earlier = history[: len(history) - arrived] if arrived else history
        if engine is not None:
            for _, raw in earlier[stored.rules_since :]:
                data = json.loads(raw)
                engine.evaluate(Event.of(data.get("type"), int(data["timestamp"]), data.get("content")))
        request = json.loads(job.request)
        config = json.loads(stored.config).get("live_event_callback_config")
        subscribed = bool(config) and REPLY_COMMAND_FINISH in (config.get("callback_event_type") or [])
        return _JobReactor(
            engine=engine,
            # Only a job with an engine numbers its events (a room without rules costs nothing).
            next_index=len(earlier),
            room_id=job.room_id,
            interaction_url=request.get("interaction_callback_url"),
            finish_config=config if subscribed else None,
        )

    def on_events(self, job: JobRow, events: Sequence[m.LiveEvent]) -> None:
        """Evaluate the events just stored for `job`, record the replies, queue the callbacks."""
        state = self._jobs.get(job.job_id)
        if state is None:
            state = self._jobs[job.job_id] = self._load(job, len(events))
        first = state.next_index
        state.next_index += len(events)
        engine = state.engine
        if engine is None:
            return
        now = self.clock.now()
        created = rfc3339(to_ms(now))
        replies: list[tuple[str, str]] = []
        callbacks: list[tuple[str, dict[str, Any], Delivery | None]] = []
        for offset, event in enumerate(events):
            outcome = engine.evaluate(event)
            if not outcome.fired:
                continue
            reply_id = _new_id()
            index = first + offset
            fields = _reply_fields(outcome)
            record: dict[str, Any] = {
                "reply_id": reply_id,
                "event_index": index,
                "event_timestamp": event.timestamp,
                "event_type": event.type,
                "rule_name": outcome.rule_name,
                "rule_index": outcome.rule_index,
                "reply_mode": outcome.reply_mode,
                **fields,
                "fallback": outcome.fallback,
                "spoken": _plays(outcome),
                "callback": outcome.callback,
                "reply_role": outcome.reply_role,
                "play_type": outcome.play_type,
                "create_time": created,
            }
            if outcome.suppressed:
                record["suppressed"] = list(outcome.suppressed)
            if outcome.robot_id:
                record["robot_id"] = outcome.robot_id
            for name in ("layer_config", "extra_layer_config"):
                layer = getattr(outcome, name)
                if layer is not None:
                    record[name] = m.to_wire(layer)
            replies.append((reply_id, _dumps(record)))
            if outcome.callback:
                body = {
                    "room_id": state.room_id,
                    "job_id": job.job_id,
                    "reply_id": reply_id,
                    "rule_name": outcome.rule_name,
                    "rule_index": outcome.rule_index,
                    "reply_mode": outcome.reply_mode,
                    **fields,
                    "event": m.to_wire(event),
                }
                callbacks.append(self._interaction(job.job_id, index, reply_id, state.interaction_url, body))
            if state.finish_config is not None and _plays(outcome):
                callbacks.append(self._finish(job.job_id, state, index, reply_id, now))
        if not replies:
            return
        with self.store.write() as tx:
            tx.insert_replies(job.job_id, replies)
        self.deliverer.record_many(job.job_id, callbacks)

    def _interaction(
        self, job_id: str, index: int, reply_id: str, url: str | None, body: dict[str, Any]
    ) -> tuple[str, dict[str, Any], Delivery | None]:
        # interaction_callback_url "含鉴权信息" (seed 003): it carries its own authentication, unsigned.
        error = refusal(url) if url else "not delivered: the job has no interaction_callback_url"
        return self._callback(job_id, INTERACTION, index, reply_id, url, None, {}, body, error)

    def _finish(
        self, job_id: str, state: _JobReactor, index: int, reply_id: str, now: float
    ) -> tuple[str, dict[str, Any], Delivery | None]:
        config = state.finish_config or {}
        url = config.get("live_event_type_callback_url")
        auth_type = config.get("auth_type") or "NONE"
        message = {"room_id": state.room_id, "job_id": job_id, "reply_id": reply_id}
        body = {"event_type": REPLY_COMMAND_FINISH, "message": _dumps(message)}
        error = (
            refusal(url)
            if url
            else "not delivered: live_event_callback_config has no live_event_type_callback_url"
        )
        headers: dict[str, str] = {}
        if url:  # signed even when it will not be sent: the record shows what would have gone out
            try:
                url, headers = sign_callback(url, config.get("key") or "", auth_type, now)
            except ValueError:
                error = (
                    error or f"not delivered: auth_type {auth_type} is not emulated (NONE, MSS_A, MSS_A_HEAD)"
                )
        return self._callback(
            job_id, REPLY_COMMAND_FINISH, index, reply_id, url, auth_type, headers, body, error
        )

    def _callback(
        self,
        job_id: str,
        kind: str,
        index: int,
        reply_id: str,
        url: str | None,
        auth_type: str | None,
        headers: dict[str, str],
        body: dict[str, Any],
        error: str | None,
    ) -> tuple[str, dict[str, Any], Delivery | None]:
        callback_id = _new_id()
        sent = {"content-type": "application/json;charset=UTF-8", **headers}
        record: dict[str, Any] = {
            "callback_id": callback_id,
            "type": kind,
            "reply_id": reply_id,
            "event_index": index,
            "url": redact_url(url),
            "auth_type": auth_type,
            "headers": sorted(sent),
            "body": body,
            "create_time": rfc3339(to_ms(self.clock.now())),
            "error": error,
        }
        delivery = None
        if error is None and url:
            delivery = Delivery(callback_id, job_id, url, sent, _dumps(body).encode("utf-8"))
        return callback_id, record, delivery

    def replies(self, job_id: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            return [json.loads(record) for record in tx.replies(job_id)]
