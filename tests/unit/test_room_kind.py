"""The SmartLiveRoom kind, pure: imports become copies carrying their group's id (or "known after
apply"), a group's change shows as the room's cause, running jobs get rewrite commands (and are told what
waits for their next start), secrets are compared through fingerprints; and its lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.engine.plan import Action, LiveCommand
from reconciler.engine.planner import PlanInput, make_plan
from reconciler.kinds import rule_group, smart_live_room
from reconciler.kinds.rule_group import LiveGroup, LiveGroups
from reconciler.kinds.smart_live_room import KNOWN_AFTER_APPLY, LiveRoom, LiveRooms, canonical_room
from reconciler.manifest import load_manifests
from reconciler.resources import Address, ManagedRecord
from reconciler.runs.session import build_desired

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata: {name: faq}
spec:
  interaction_rules:
    - {rule_name: price, event_type: 1, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["PRICE_TEXT"]}}
"""
ROOM = """\
apiVersion: smartlive/v1
kind: SmartLiveRoom
metadata: {name: store}
spec:
  room_name: store room
SPEC_EXTRA  interaction_rules:
    - import: faq
    - {rule_name: own, event_type: 2, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}}
"""
ROOM_ADDRESS = Address(smart_live_room.NAME, "store")
GROUP_ADDRESS = Address(rule_group.NAME, "faq")


def load(tmp_path: Path, *texts: str) -> Any:
    path = tmp_path / "set.yaml"
    path.write_text("---\n".join(texts), encoding="utf-8")
    result = load_manifests([path])
    return result


def desired(tmp_path: Path, reply: str = "99", room_extra: str = "", key: bytes | None = None) -> Any:
    result = load(tmp_path, GROUP.replace("PRICE_TEXT", reply), ROOM.replace("SPEC_EXTRA", room_extra))
    assert result.ok, result.diagnostics
    return build_desired(result, key, environ={"KEY": "sk-secret-1"})


def live_group(reply: str, group_id: str = "g-1") -> LiveGroup:
    rules = [
        {
            "rule_name": "price",
            "event_type": 1,
            "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [reply]},
        }
    ]
    return LiveGroup(
        group_id, "faq", "t1", rule_group.normalize_group({"group_name": "faq", "interaction_rules": rules})
    )


def live_room(reply: str, jobs: tuple[str, ...] = (), group_id: str = "g-1", **extra: Any) -> LiveRoom:
    body = {
        "room_id": "r-1",
        "room_name": "store room",
        "room_type": "NORMAL",
        "script_version": "123",
        "interaction_rules": [
            {
                "rule_name": "price",
                "event_type": 1,
                "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [reply]},
                "group_id": group_id,
                "group_name": "faq",
                "rule_id": "x",
            },
            {
                "rule_name": "own",
                "event_type": 2,
                "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["hi"]},
            },
        ],
        **extra,
    }
    return LiveRoom("r-1", "store room", "t2", canonical_room(body), jobs)


def plan(
    desired_set: Any, groups: tuple[LiveGroup, ...], rooms: tuple[LiveRoom, ...], managed: Any = None
) -> Any:
    inputs = [
        PlanInput(smart_live_room.KIND, desired_set.of_kind(smart_live_room.NAME), LiveRooms(rooms)),
        PlanInput(rule_group.KIND, desired_set.of_kind(rule_group.NAME), LiveGroups(groups)),
    ]
    return {c.address: c for c in make_plan(inputs, managed=managed).changes}


def test_a_room_to_create_copies_its_groups_rules_and_waits_for_a_new_group_id(tmp_path: Path) -> None:
    changes = plan(desired(tmp_path), (), ())
    room = changes[ROOM_ADDRESS]
    assert room.actions == (Action.CREATE,)
    assert room.depends_on == (GROUP_ADDRESS,)
    copied = room.after["interaction_rules"]["price"]
    assert (copied["group_id"], copied["group_name"]) == (KNOWN_AFTER_APPLY, "faq")
    assert "group_id" not in room.after["interaction_rules"]["own"]
    # The group exists already: its id is known at plan time.
    changes = plan(desired(tmp_path), (live_group("99", "g-7"),), ())
    assert changes[ROOM_ADDRESS].after["interaction_rules"]["price"]["group_id"] == "g-7"


def test_server_fields_and_filled_defaults_are_no_difference(tmp_path: Path) -> None:
    changes = plan(desired(tmp_path), (live_group("99"),), (live_room("99", view_mode="VERTICAL"),))
    assert changes[ROOM_ADDRESS].is_noop


def test_a_group_edit_is_the_rooms_change_and_reaches_its_running_job_without_a_restart(
    tmp_path: Path,
) -> None:
    changes = plan(desired(tmp_path, reply="89"), (live_group("99"),), (live_room("99", jobs=("j-1",)),))
    group, room = changes[GROUP_ADDRESS], changes[ROOM_ADDRESS]
    assert group.actions == room.actions == (Action.UPDATE,)
    assert room.reason.caused_by == (GROUP_ADDRESS,)
    assert [c.path for c in room.changes] == ["interaction_rules[price].trigger.reply_texts[0]"]
    assert room.live_commands == (LiveCommand("REWRITE_INTERACTION_RULES", "j-1"),)
    assert not room.interrupts_stream and room.deferred == ()
    # No running job: nothing to rewrite.
    quiet = plan(desired(tmp_path, reply="89"), (live_group("99"),), (live_room("99"),))
    assert quiet[ROOM_ADDRESS].live_commands == ()


def test_a_room_drifting_by_itself_names_no_cause(tmp_path: Path) -> None:
    changes = plan(desired(tmp_path), (live_group("99"),), (live_room("hand-edited"),))
    assert changes[GROUP_ADDRESS].is_noop
    assert changes[ROOM_ADDRESS].reason.caused_by == ()


def test_fields_no_command_carries_wait_for_the_running_jobs_next_start(tmp_path: Path) -> None:
    extra = "  room_description: evening\n"
    changes = plan(
        desired(tmp_path, room_extra=extra), (live_group("99"),), (live_room("99", jobs=("j-1",)),)
    )
    room = changes[ROOM_ADDRESS]
    assert [c.path for c in room.changes] == ["room_description"]
    assert room.live_commands == ()
    assert (room.deferred, room.deferred_jobs) == (("room_description",), ("j-1",))


def test_secrets_are_compared_through_the_state_stores_fingerprints(tmp_path: Path) -> None:
    extra = "  output_urls: [rtmp://push.example.com/live]\n  stream_keys: ['${env:KEY}']\n"
    declared = desired(tmp_path, room_extra=extra, key=b"k" * 32)
    room = live_room("99", output_urls=["rtmp://push.example.com/live"], stream_keys=["******"])
    # No record of what was applied: the secret is not verifiable (never "no change" by omission).
    unknown = plan(declared, (live_group("99"),), (room,), managed=None)[ROOM_ADDRESS]
    assert unknown.unverifiable == ("stream_keys",)
    # With a state store that records no stack managing it, the namesake is not taken over (stacks).
    assert plan(declared, (live_group("99"),), (room,), managed={})[ROOM_ADDRESS].is_unmanaged
    fingerprints = dict(declared.resources[ROOM_ADDRESS].value.secret_fingerprints)
    same = {ROOM_ADDRESS: ManagedRecord(ROOM_ADDRESS, "r-1", field_fingerprints=fingerprints)}
    assert plan(declared, (live_group("99"),), (room,), managed=same)[ROOM_ADDRESS].is_noop
    moved = {ROOM_ADDRESS: ManagedRecord(ROOM_ADDRESS, "r-1", field_fingerprints={"stream_keys": "old"})}
    change = plan(declared, (live_group("99"),), (room,), managed=moved)[ROOM_ADDRESS]
    assert [(c.path, c.after) for c in change.changes] == [("stream_keys", "(sensitive)")]
    assert "sk-secret-1" not in repr(change)


def test_the_recorded_room_is_matched_before_a_namesake(tmp_path: Path) -> None:
    other = LiveRoom("r-2", "store room", "t", canonical_room({"room_name": "store room"}))
    managed = {ROOM_ADDRESS: ManagedRecord(ROOM_ADDRESS, "r-1")}
    changes = plan(desired(tmp_path), (live_group("99"),), (other, live_room("99")), managed=managed)
    assert changes[ROOM_ADDRESS].remote_id == "r-1" and changes[ROOM_ADDRESS].is_noop


def codes_of(tmp_path: Path, *texts: str) -> list[str]:
    return [d.code for d in load(tmp_path, *texts).diagnostics]


def test_importing_a_group_twice_warns(tmp_path: Path) -> None:
    twice = ROOM.replace("SPEC_EXTRA", "").replace(
        "    - import: faq\n", "    - import: faq\n    - import: faq\n"
    )
    assert codes_of(tmp_path, GROUP, twice) == ["L004"]
    assert codes_of(tmp_path, GROUP, ROOM.replace("SPEC_EXTRA", "")) == []


JOB_IN_ROOM = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata: {name: live}
spec:
  room: store
JOB_EXTRA"""
VIDEO = '  video_config: {codec: H264, bitrate: 4000, width: 1080, height: 1920, frame_rate: "25"}\n'


def test_a_job_overriding_its_rooms_field_warns_and_one_that_does_not_is_quiet(tmp_path: Path) -> None:
    room = ROOM.replace("SPEC_EXTRA", VIDEO)
    assert codes_of(tmp_path, GROUP, room, JOB_IN_ROOM.replace("JOB_EXTRA", VIDEO)) == ["S005"]
    assert (
        codes_of(
            tmp_path,
            GROUP,
            room,
            JOB_IN_ROOM.replace("JOB_EXTRA", "  output_urls: [rtmp://a/b]\n  stream_keys: ['${env:K}']\n"),
        )
        == []
    )
    # A room_id job overrides nothing smartlive knows of.
    by_id = JOB_IN_ROOM.replace("  room: store\n", "  room_id: r-1\n").replace("JOB_EXTRA", VIDEO)
    assert codes_of(tmp_path, GROUP, room, by_id) == []


LAYOUT = """\
  video_config: {codec: H264, bitrate: 4000, width: 1920, height: 1080, frame_rate: "25"}
  scene_scripts:
    - script_name: main
      shoot_scripts: [{text_config: {text: hi}}]
      background_config:
        - {background_type: IMAGE, background_config: "https://a/b.png", background_image_config: {dx: -10, dy: 0, width: 1940, height: 1080}}
      layer_config:
        - {layer_type: TEXT, position: {dx: 1500, dy: 900, layer_index: 2}, size: {width: 400, height: 100}, text_config: {text_context: 5rWL6K+V}}
"""


def test_a_layout_inside_the_rooms_canvas_is_quiet_and_the_portrait_canvas_is_checked(tmp_path: Path) -> None:
    assert codes_of(tmp_path, GROUP, ROOM.replace("SPEC_EXTRA", LAYOUT)) == []
    # The same layout on the default portrait canvas (no video_config): both fall outside it.
    portrait = LAYOUT.split("\n", 1)[1]
    assert codes_of(tmp_path, GROUP, ROOM.replace("SPEC_EXTRA", portrait)) == ["L001", "L002"]


def test_a_scene_script_change_is_rewritten_in_the_running_job_too(tmp_path: Path) -> None:
    scripts = (
        "  scene_scripts:\n    - {script_name: main, shoot_scripts: [{text_config: {text: new words}}]}\n"
    )
    old = [{"script_name": "main", "shoot_scripts": [{"text_config": {"text": "old words"}}]}]
    changes = plan(
        desired(tmp_path, room_extra=scripts),
        (live_group("99"),),
        (live_room("99", jobs=("j-1",), scene_scripts=old),),
    )
    room = changes[ROOM_ADDRESS]
    assert [c.path for c in room.changes] == ["scene_scripts[0].shoot_scripts[0].text_config.text"]
    assert room.live_commands == (LiveCommand("REWRITE_PLAY_SCRIPT", "j-1"),)
    assert room.reason.caused_by == () and room.deferred == ()


def test_rooms_and_their_jobs_are_read_once_each_and_not_at_all_when_none_is_declared(tmp_path: Path) -> None:
    import asyncio

    from reconciler.engine.kind import ReadRequest, SharedReads

    class Api:
        def __init__(self) -> None:
            self.calls: list[str] = []

        async def list_rooms(self) -> list[Any]:
            self.calls.append("ListSmartLiveRooms")
            return []

        async def list_project_jobs(self) -> list[Any]:
            self.calls.append("ListSmartLiveJobs")
            return []

    api = Api()
    nothing = ReadRequest(declared=[], records={}, desired=lambda _a: None)
    assert asyncio.run(smart_live_room.KIND.read(api, nothing)) == LiveRooms()  # type: ignore[arg-type]
    assert api.calls == []
    declared = desired(tmp_path)
    shared = SharedReads()

    async def both() -> None:
        request = ReadRequest(
            declared=[ROOM_ADDRESS], records={}, desired=declared.resources.get, shared=shared
        )
        await smart_live_room.KIND.read(api, request)  # type: ignore[arg-type]
        await shared.get("ListSmartLiveJobs(active)", api.list_project_jobs)  # the job kind's, shared

    asyncio.run(both())
    assert api.calls == ["ListSmartLiveRooms", "ListSmartLiveJobs"]


def test_reordering_tied_rules_in_a_room_is_rewritten_in_its_running_job(tmp_path: Path) -> None:
    tied = ROOM.replace(
        "    - {rule_name: own, event_type: 2, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}}\n",
        "    - {rule_name: own, event_type: 1, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}}\n",
    )
    result = load(tmp_path, GROUP.replace("PRICE_TEXT", "99"), tied.replace("SPEC_EXTRA", ""))
    declared = build_desired(result, None)
    # Live, the room's own rule comes first: same rules, the other order. Both tie (event 1, priority 500).
    own = {
        "rule_name": "own",
        "event_type": 1,
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["hi"]},
    }
    price = {
        "rule_name": "price",
        "event_type": 1,
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["99"]},
        "group_id": "g-1",
        "group_name": "faq",
    }
    room = LiveRoom(
        "r-1",
        "store room",
        "t",
        canonical_room({"room_name": "store room", "interaction_rules": [own, price]}),
        ("j-1",),
    )
    change = plan(declared, (live_group("99"),), (room,))[ROOM_ADDRESS]
    assert [c.path for c in change.changes] == [
        "rule_order[event_type 1, priority 500][0]",
        "rule_order[event_type 1, priority 500][1]",
    ]
    assert change.live_commands == (LiveCommand("REWRITE_INTERACTION_RULES", "j-1"),)
    assert change.deferred == ()


def test_the_rooms_jobs_would_start_in_are_looked_up_one_by_one_or_by_one_list(tmp_path: Path) -> None:
    import asyncio

    from reconciler.engine.kind import ReadRequest
    from reconciler.errors import RemoteError
    from reconciler.kinds import live_job

    class Api:
        def __init__(self) -> None:
            self.calls: list[str] = []

        async def list_project_jobs(self) -> list[Any]:
            self.calls.append("ListSmartLiveJobs")
            return []

        async def show_room(self, room_id: str) -> None:
            self.calls.append(f"ShowSmartLiveRoom {room_id}")
            if room_id == "gone":
                raise RemoteError(400, "MSS.10001001", "not found")

        async def list_rooms(self) -> list[Any]:
            self.calls.append("ListSmartLiveRooms")
            return [type("Room", (), {"room_id": f"r{n}"})() for n in range(10)]

    def jobs(*rooms: str) -> Any:
        text = "---\n".join(
            f"apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {{name: j{n}}}\nspec: {{room_id: {room}}}\n"
            for n, room in enumerate(rooms)
        )
        return build_desired(load(tmp_path, text), None)

    def read(declared: Any) -> tuple[Any, list[str]]:
        api = Api()
        request = ReadRequest(declared=list(declared.resources), records={}, desired=declared.resources.get)
        return asyncio.run(live_job.KIND.read(api, request)), api.calls  # type: ignore[arg-type]

    live, calls = read(jobs("r1", "gone"))
    assert live.missing_rooms == frozenset({"gone"})
    assert sorted(calls) == ["ListSmartLiveJobs", "ShowSmartLiveRoom gone", "ShowSmartLiveRoom r1"]
    many = [f"r{n}" for n in range(8)] + ["gone"]
    live, calls = read(jobs(*many))
    assert live.missing_rooms == frozenset({"gone"}) and calls == ["ListSmartLiveJobs", "ListSmartLiveRooms"]
