"""ExecuteSmartLiveCommand: the commands the emulator models, each a change to (or a reading of) a running job.

- REFRESH_OUTPUT_URL `{output_urls, stream_keys}`: the job's RTMP output from now on.
- REWRITE_INTERACTION_RULES `{interaction_rules}`: the job's rules, replaced whole, job_id unchanged; its
  reaction engine starts afresh with them for the events that follow (reactions.py).
- REWRITE_PLAY_SCRIPT `{scene_scripts}`: the job's scene scripts, replaced whole; script_version moves.
- GET_LIVE_JOB_CONFIG_INFO: the job's effective configuration, shaped as ShowSmartLiveRoom's answer, as JSON
  text in `result` (the SDK's response has no other field for it), secrets masked.

The other commands (INSERT_PLAY_SCRIPT, SHOW_LAYER, ...) drive playback, which the emulator does not have:
they answer 400 MSS.00000003 naming the command.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from reconciler.api import models as m
from reconciler.emulator import exceptions, snapshot, views
from reconciler.emulator.reactions import check_rules, room_rules
from reconciler.emulator.storage import JobRow, Tx

#: result of a command that changed the job.
SUCCESS: Final = "SUCCESS"
EMULATED: Final = (
    "REFRESH_OUTPUT_URL",
    "REWRITE_INTERACTION_RULES",
    "REWRITE_PLAY_SCRIPT",
    "GET_LIVE_JOB_CONFIG_INFO",
)

#: Runs inside the write transaction that found the job active; answers the response's `result`.
Run = Callable[[Tx, JobRow, int], str]
_P = TypeVar("_P", bound=m.RequestModel)


@dataclass(frozen=True)
class Command:
    """A command whose params are valid, ready to run on its job."""

    name: str
    #: The params as recorded with the command (GET /_emulator/jobs/{job_id}).
    params: dict[str, Any]
    run: Run
    #: The job's rules change: its reaction engine must be built again.
    rewrites_rules: bool = False


def _params(model: type[_P], params: dict[str, Any] | None) -> _P:
    try:
        return model.model_validate(params or {})
    except ValidationError as error:
        raise exceptions.invalid_parameter(exceptions.validation_message(error, "params")) from None


def parse(body: m.ControlSmartLiveReq) -> Command:
    """The command of a request body; 400 MSS.00000003 for a command not modelled or invalid params."""
    name = body.command
    if name == "REFRESH_OUTPUT_URL":
        outputs = _params(m.RefreshOutputUrlConfig, body.params)
        return Command(name, m.to_wire(outputs), functools.partial(refresh_output_url, outputs))
    if name == "REWRITE_INTERACTION_RULES":
        rules = _params(m.RewriteInteractionRulesParams, body.params)
        run = functools.partial(rewrite_interaction_rules, rules)
        return Command(name, m.to_wire(rules), run, rewrites_rules=True)
    if name == "REWRITE_PLAY_SCRIPT":
        scripts = _params(m.RewritePlayScriptParams, body.params)
        return Command(name, m.to_wire(scripts), functools.partial(rewrite_play_script, scripts))
    if name == "GET_LIVE_JOB_CONFIG_INFO":
        return Command(name, {}, live_job_config_info)
    raise exceptions.invalid_parameter(
        f"command: {name} is not emulated (the emulator implements {', '.join(EMULATED)})"
    )


def refresh_output_url(params: m.RefreshOutputUrlConfig, tx: Tx, job: JobRow, now: int) -> str:
    outputs = json.loads(job.outputs)
    if params.output_urls is not None:
        outputs["output_urls"] = params.output_urls
    if params.stream_keys is not None:
        outputs["stream_keys"] = params.stream_keys
    tx.set_job_outputs(job.job_id, json.dumps(outputs, ensure_ascii=False), now)
    return SUCCESS


def rewrite_interaction_rules(params: m.RewriteInteractionRulesParams, tx: Tx, job: JobRow, now: int) -> str:
    config = snapshot.config_of(tx, job)
    body = json.loads(config.config)
    body["interaction_rules"] = [m.to_wire(rule) for rule in params.interaction_rules]
    rules, problems = room_rules(body)
    problems += check_rules(rules)
    tx.save_job_config(
        dataclasses.replace(
            config,
            config=snapshot.dumps(body),
            problems=json.dumps(problems, ensure_ascii=False),
            # The events so far met the old rules: a restarted engine replays only those after this point.
            rules_since=tx.event_count(job.job_id),
            update_ms=snapshot.next_stamp(config.update_ms, now),
        )
    )
    tx.touch_job(job.job_id, now)
    return SUCCESS


def rewrite_play_script(params: m.RewritePlayScriptParams, tx: Tx, job: JobRow, now: int) -> str:
    # No playback is emulated, so nothing has been played yet: every script is replaced, whatever
    # play_policy.is_rewrite_delay says (it only chooses between this round and the next).
    config = snapshot.config_of(tx, job)
    body = json.loads(config.config)
    body["scene_scripts"] = [m.to_wire(script) for script in params.scene_scripts]
    stamp = snapshot.next_stamp(config.update_ms, now)
    tx.save_job_config(
        dataclasses.replace(
            config,
            config=snapshot.dumps(body),
            update_ms=stamp,
            script_version=snapshot.script_version(stamp),
        )
    )
    tx.touch_job(job.job_id, now)
    return SUCCESS


def live_job_config_info(tx: Tx, job: JobRow, now: int) -> str:
    config = snapshot.config_of(tx, job)
    detail = views.job_config_detail(job, config, snapshot.body_of(config, job.outputs))
    return m.to_wire_json(m.SmartLiveRoomInfo.model_validate(detail))
