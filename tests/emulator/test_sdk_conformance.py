"""Conformance: the official SDK (huaweicloudsdkmetastudio), unchanged, against the emulator on a real
socket with AK/SK. Every call of issue 3 item 8 succeeds and its response object carries what was sent;
so do every room operation (create, list with filters, show, update, delete) and every command the
emulator models; signing failures reach the SDK as 401; the seed pages' examples are accepted and
answered in their shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkmetastudio.v1 import (
    BackgroundConfigInfo,
    ControlSmartLiveReq,
    CreateInteractionRuleGroupRequest,
    CreateSmartLiveRoomReq,
    CreateSmartLiveRoomRequest,
    DeleteInteractionRuleGroupRequest,
    DeleteSmartLiveRoomRequest,
    ExecuteSmartLiveCommandRequest,
    HitCondition,
    HitConditionTag,
    InteractionRuleGroup,
    InteractionRuleInfo,
    LayerConfig,
    LayerPositionConfig,
    ListInteractionRuleGroupsRequest,
    ListSmartLiveJobsRequest,
    ListSmartLiveRequest,
    ListSmartLiveRoomsRequest,
    LiveEvent,
    LiveEventReportRequest,
    LiveJobRunConfig,
    LiveRoomEventCallBackConfig,
    LiveRoomInteractionRuleInfo,
    LiveShootScriptItem,
    LiveVideoScriptInfo,
    MetaStudioClient,
    PlayPolicy,
    ReportLiveEventReq,
    SharedConfig,
    ShowInteractionRuleGroupRequest,
    ShowSmartLiveRequest,
    ShowSmartLiveRoomRequest,
    StartSmartLiveReq,
    StartSmartLiveRequest,
    StopSmartLiveRequest,
    TextConfig,
    TriggerProcess,
    UpdateInteractionRuleGroupRequest,
    UpdateSmartLiveRoomRequest,
    VideoConfig,
    VoiceConfig,
)

from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from tests.emulator.conftest import AK, PROJECT, SEED_EXAMPLES, SK, Api

START_DELAY = 5.0


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def base_url(clock: ManualClock) -> Iterator[str]:
    config = EmulatorConfig(
        ak=AK, sk=SK, project_id=PROJECT, clock=clock, start_delay=START_DELAY, rate_limits={}
    )
    with running_emulator(config) as url:
        yield url


def sdk(base_url: str, handler: HttpHandler | None = None, sk: str = SK) -> MetaStudioClient:
    builder = (
        MetaStudioClient.new_builder()
        .with_credentials(BasicCredentials(AK, sk, PROJECT))
        .with_endpoints([base_url])
    )
    if handler is not None:
        builder = builder.with_http_handler(handler)
    return builder.build()


@pytest.fixture(scope="module")
def client(base_url: str) -> MetaStudioClient:
    return sdk(base_url)


@pytest.fixture
def raw(base_url: str) -> Iterator[Api]:
    with httpx.Client() as http:
        yield Api(http, base_url)


def rule(name: str) -> InteractionRuleInfo:
    return InteractionRuleInfo(
        rule_name=name,
        enabled=True,
        event_type=1,
        hit_condition=HitCondition(
            relation="AND",
            priority=5,
            tags=[HitConditionTag(tag="content", operation="NONE", match="REGEX", value="价格")],
        ),
        trigger=TriggerProcess(
            time_window=10, reply_mode="SYSTEM_REPLY", reply_texts=["请看商品详情"], reply_order="ORDER"
        ),
    )


def test_rule_group_lifecycle(client: MetaStudioClient, clock: ManualClock) -> None:
    created = client.create_interaction_rule_group(
        CreateInteractionRuleGroupRequest(
            body=InteractionRuleGroup(group_name="sdk-group", interaction_rules=[rule("r1")])
        )
    )
    assert created.status_code == 200 and created.group_id
    group_id = created.group_id
    listed = client.list_interaction_rule_groups(
        ListInteractionRuleGroupsRequest(group_name="sdk-group", limit=10)
    )
    assert listed.count == 1 and listed.interaction_rule_groups[0].group_id == group_id
    assert listed.interaction_rule_groups[0].interaction_rules is None  # the list carries no rules
    shown = client.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=group_id))
    assert shown.group_name == "sdk-group"
    [shown_rule] = shown.interaction_rules
    assert shown_rule.rule_name == "r1" and shown_rule.rule_id and shown_rule.create_time
    assert shown_rule.hit_condition.tags[0].value == "价格"
    assert shown_rule.trigger.reply_texts == ["请看商品详情"]
    clock.advance(2)
    updated = client.update_interaction_rule_group(
        UpdateInteractionRuleGroupRequest(
            group_id=group_id,
            body=InteractionRuleGroup(group_name="sdk-group-2", interaction_rules=[rule("a"), rule("b")]),
        )
    )
    assert updated.group_name == "sdk-group-2" and [r.rule_name for r in updated.interaction_rules] == [
        "a",
        "b",
    ]
    assert updated.update_time > updated.create_time
    deleted = client.delete_interaction_rule_group(DeleteInteractionRuleGroupRequest(group_id=group_id))
    assert deleted.status_code == 204
    with pytest.raises(ClientRequestException) as missing:
        client.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=group_id))
    assert (missing.value.status_code, missing.value.error_code) == (400, "MSS.10001001")


def test_room_and_job_lifecycle(client: MetaStudioClient, clock: ManualClock) -> None:
    room = client.create_smart_live_room(
        CreateSmartLiveRoomRequest(body=CreateSmartLiveRoomReq(room_name="sdk-room"))
    )
    room_id = room.room_id
    assert client.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id)).room_name == "sdk-room"
    rooms = client.list_smart_live_rooms(ListSmartLiveRoomsRequest(room_name="sdk-room"))
    assert rooms.count == 1 and rooms.smart_live_rooms[0].room_id == room_id

    started = client.start_smart_live(
        StartSmartLiveRequest(
            room_id=room_id,
            body=StartSmartLiveReq(
                output_urls=["rtmp://push.example/live/x"],
                stream_keys=["sdk-secret"],
                play_policy=PlayPolicy(random_play_mode="NONE"),
                job_run_config=LiveJobRunConfig(single_job_in_room=True),
            ),
        )
    )
    assert started.status_code == 202 and started.job_id
    assert started.rtc_room_info.users[0].user_type == "PLAYER"
    assert "RANDOM_PLAY_CLOSED" in [w.warning_type for w in started.live_warning_info]
    job_id = started.job_id

    waiting = client.list_smart_live(ListSmartLiveRequest(room_id=room_id, state="WAITING"))
    assert waiting.count == 1 and waiting.smart_live_jobs[0].job_id == job_id
    clock.advance(START_DELAY + 3)
    shown = client.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert (
        shown.state == "PROCESSING" and shown.room_name == "sdk-room" and shown.duration == pytest.approx(3)
    )
    assert shown.live_event_report_url == started.live_event_report_url
    everywhere = client.list_smart_live_jobs(
        ListSmartLiveJobsRequest(state="PROCESSING", room_name="sdk-room")
    )
    assert [job.job_id for job in everywhere.smart_live_jobs] == [job_id]

    with pytest.raises(ClientRequestException) as second:
        client.start_smart_live(StartSmartLiveRequest(room_id=room_id, body=StartSmartLiveReq()))
    assert (second.value.status_code, second.value.error_code) == (403, "MSS.41000012")

    command = client.execute_smart_live_command(
        ExecuteSmartLiveCommandRequest(
            room_id=room_id,
            job_id=job_id,
            body=ControlSmartLiveReq(
                command="REFRESH_OUTPUT_URL",
                params={"output_urls": ["rtmp://push.example/live/y"], "stream_keys": ["k2"]},
            ),
        )
    )
    assert command.command == "REFRESH_OUTPUT_URL" and command.result == "SUCCESS" and command.command_id

    query = parse_qs(urlsplit(started.live_event_report_url).query)
    report = client.live_event_report(
        LiveEventReportRequest(
            room_id=room_id,
            job_id=job_id,
            auth_key=query["auth_key"][0],
            expires_time=int(query["expires_time"][0]),
            body=ReportLiveEventReq(
                total=1,
                events=[LiveEvent(timestamp=1694481236886, type=6, content='{"numberOfViewers":5466}')],
            ),
        )
    )
    assert report.live_event_report_url == started.live_event_report_url
    by_header = client.live_event_report(
        LiveEventReportRequest(
            room_id=room_id,
            job_id=job_id,
            x_mss_auth_key=query["auth_key"][0],
            x_mss_expires_time=query["expires_time"][0],
            refresh_url=True,
            body=ReportLiveEventReq(
                total=1,
                events=[LiveEvent(timestamp=1694481236887, type=2, content='{"user":{"userId":"1"}}')],
            ),
        )
    )
    assert by_header.live_event_report_url != started.live_event_report_url
    # The seeds' own example: signed with AK/SK, no auth_key. "A report is authenticated by either".
    signed_only = client.live_event_report(
        LiveEventReportRequest(
            room_id=room_id,
            job_id=job_id,
            body=ReportLiveEventReq(total=1, events=[LiveEvent(timestamp=1)]),
        )
    )
    assert signed_only.live_event_report_url == by_header.live_event_report_url

    stopped = client.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert stopped.status_code == 200
    final = client.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert final.state == "SUCCEED" and final.end_time
    with pytest.raises(ClientRequestException) as again:
        client.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert (again.value.status_code, again.value.error_code) == (400, "MSS.20020001")


# --------------------------------------------------------------------------------------------------
# Rooms and commands through the SDK
# --------------------------------------------------------------------------------------------------


def scene(name: str, model: str, voice: str) -> LiveVideoScriptInfo:
    return LiveVideoScriptInfo(
        script_name=name,
        model_asset_id=model,
        dh_id=f"dh-{model}",
        voice_config=VoiceConfig(voice_asset_id=voice, speed=100),
        background_config=[BackgroundConfigInfo(background_type="COLOR", background_color_config="#FFFFFF")],
        layer_config=[
            LayerConfig(layer_type="HUMAN", position=LayerPositionConfig(dx=0, dy=0, layer_index=1))
        ],
        shoot_scripts=[
            LiveShootScriptItem(sequence_no=1, title="opening", text_config=TextConfig(text="大家好"))
        ],
    )


def room_rule(name: str, text: str) -> LiveRoomInteractionRuleInfo:
    """A rule as a room holds it: a copy, with the group it was copied from."""
    return LiveRoomInteractionRuleInfo(
        rule_name=name,
        event_type=1,
        trigger=TriggerProcess(reply_mode="SYSTEM_REPLY", reply_texts=[text]),
        group_id="sdk-group-id",
        group_name="sdk-group",
    )


def sdk_error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientRequestException) as refused:
        call()
    return refused.value.status_code, refused.value.error_code


def test_room_operations_through_the_sdk(client: MetaStudioClient, clock: ManualClock) -> None:
    body = CreateSmartLiveRoomReq(
        room_name="sdk-rooms-main",
        room_type="NORMAL",
        scene_scripts=[scene("opening", "sdk-model-a", "sdk-voice-a")],
        interaction_rules=[room_rule("hello", "hi there")],
        video_config=VideoConfig(bitrate=4000, width=1920, height=1080),
        output_urls=["rtmp://push.example/live/room"],
        stream_keys=["sdk-room-key"],
        live_event_callback_config=LiveRoomEventCallBackConfig(
            live_event_type_callback_url="https://hooks.example/e", auth_type="MSS_A_HEAD", key="sdk-cb-key"
        ),
        shared_config=SharedConfig(shared_type="PRIVATE"),
        backup_model_asset_ids=["sdk-model-b"],
    )
    room_id = client.create_smart_live_room(CreateSmartLiveRoomRequest(body=body)).room_id
    other_id = client.create_smart_live_room(
        CreateSmartLiveRoomRequest(
            body=CreateSmartLiveRoomReq(room_name="sdk-rooms-other", room_type="TEMPLATE")
        )
    ).room_id

    shown = client.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id))
    assert shown.room_name == "sdk-rooms-main" and shown.room_type == "NORMAL"
    [script] = shown.scene_scripts
    assert (
        script.shoot_scripts[0].text_config.text == "大家好"
        and script.voice_config.voice_asset_id == "sdk-voice-a"
    )
    assert (
        script.layer_config[0].position.layer_index == 1
        and script.background_config[0].background_type == "COLOR"
    )
    [shown_rule] = shown.interaction_rules
    assert (shown_rule.rule_name, shown_rule.group_id, shown_rule.group_name) == (
        "hello",
        "sdk-group-id",
        "sdk-group",
    )
    assert shown.stream_keys == ["******"] and shown.live_event_callback_config.key == "******"
    assert (shown.room_state, shown.confirm_state, shown.view_mode) == ("ENABLE", "CONFIRMED", "LANDSCAPE")
    assert shown.shared_config.shared_type == "PRIVATE" and shown.script_version and shown.create_time

    def listed(**query: Any) -> list[str]:
        response = client.list_smart_live_rooms(ListSmartLiveRoomsRequest(room_name="sdk-rooms", **query))
        return [room.room_id for room in response.smart_live_rooms]

    assert listed() == [room_id, other_id]
    assert listed(room_type="TEMPLATE") == [other_id]
    assert listed(dh_id="dh-sdk-model-a", live_state="NULL", confirm_state="confirmed") == [room_id]
    assert listed(limit=1, offset=1) == [other_id]
    entry = client.list_smart_live_rooms(
        ListSmartLiveRoomsRequest(room_name="sdk-rooms-main")
    ).smart_live_rooms[0]
    assert entry.model_infos[0].model_asset_id == "sdk-model-a" and entry.view_mode == "LANDSCAPE"

    clock.advance(1)
    updated = client.update_smart_live_room(
        UpdateSmartLiveRoomRequest(
            room_id=room_id,
            body=CreateSmartLiveRoomReq(
                room_name="sdk-rooms-renamed", scene_scripts=[scene("second", "sdk-model-c", "sdk-voice-c")]
            ),
        )
    )
    assert updated.status_code == 200 and updated.room_name == "sdk-rooms-renamed"
    assert updated.scene_scripts[0].script_name == "second" and updated.interaction_rules is None
    assert int(updated.script_version) > int(shown.script_version) and updated.update_time > shown.update_time

    deleted = client.delete_smart_live_room(DeleteSmartLiveRoomRequest(room_id=other_id))
    assert deleted.status_code == 200
    assert listed() == [room_id]
    assert sdk_error(lambda: client.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=other_id))) == (
        400,
        "MSS.10001001",
    )
    assert sdk_error(
        lambda: client.update_smart_live_room(
            UpdateSmartLiveRoomRequest(
                room_id=room_id, body=CreateSmartLiveRoomReq(room_name="x", room_type="PARTY")
            )
        )
    ) == (400, "MSS.00000003")

    job_id = client.start_smart_live(StartSmartLiveRequest(room_id=room_id, body=StartSmartLiveReq())).job_id
    assert sdk_error(lambda: client.delete_smart_live_room(DeleteSmartLiveRoomRequest(room_id=room_id))) == (
        400,
        "MSS.20020001",
    )
    client.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert client.delete_smart_live_room(DeleteSmartLiveRoomRequest(room_id=room_id)).status_code == 200


def test_commands_through_the_sdk(client: MetaStudioClient, clock: ManualClock, raw: Api) -> None:
    room = CreateSmartLiveRoomReq(
        room_name="sdk-commands",
        scene_scripts=[scene("opening", "sdk-model-a", "sdk-voice-a")],
        interaction_rules=[room_rule("old", "the old reply")],
        stream_keys=["sdk-room-key"],
    )
    room_id = client.create_smart_live_room(CreateSmartLiveRoomRequest(body=room)).room_id
    started = client.start_smart_live(
        StartSmartLiveRequest(
            room_id=room_id,
            body=StartSmartLiveReq(
                video_config=VideoConfig(bitrate=6000, width=1080, height=1920), stream_keys=["sdk-start-key"]
            ),
        )
    )
    job_id = started.job_id
    clock.advance(START_DELAY + 1)
    query = parse_qs(urlsplit(started.live_event_report_url).query)

    def execute(command: str, params: Any = None) -> Any:
        return client.execute_smart_live_command(
            ExecuteSmartLiveCommandRequest(
                room_id=room_id, job_id=job_id, body=ControlSmartLiveReq(command=command, params=params)
            )
        )

    def comment(text: str, at: int) -> list[str]:
        content = json.dumps({"user": {"userId": "u1"}, "content": text})
        client.live_event_report(
            LiveEventReportRequest(
                room_id=room_id,
                job_id=job_id,
                auth_key=query["auth_key"][0],
                expires_time=int(query["expires_time"][0]),
                body=ReportLiveEventReq(total=1, events=[LiveEvent(timestamp=at, type=1, content=content)]),
            )
        )
        return [r["reply_text"] for r in raw.control("GET", f"replies/{job_id}").json()["replies"]]

    assert comment("hello", 1_700_000_000_000) == ["the old reply"]
    # params as the SDK sends them: SDK model objects inside the params object.
    rewrite = execute("REWRITE_INTERACTION_RULES", {"interaction_rules": [room_rule("new", "the new reply")]})
    assert (rewrite.command, rewrite.result) == (
        "REWRITE_INTERACTION_RULES",
        "SUCCESS",
    ) and rewrite.command_id
    assert comment("hello again", 1_700_000_001_000) == ["the old reply", "the new reply"]
    scripts = execute(
        "REWRITE_PLAY_SCRIPT", {"scene_scripts": [scene("second act", "sdk-model-c", "sdk-voice-c")]}
    )
    assert scripts.result == "SUCCESS"

    config = execute("GET_LIVE_JOB_CONFIG_INFO")
    assert config.command == "GET_LIVE_JOB_CONFIG_INFO" and config.command_id
    info = json.loads(config.result)
    assert info["room_id"] == room_id and info["room_name"] == "sdk-commands"
    assert info["video_config"] == {"bitrate": 6000, "width": 1080, "height": 1920}  # the start body's
    assert [r["rule_name"] for r in info["interaction_rules"]] == ["new"]
    assert [s["script_name"] for s in info["scene_scripts"]] == ["second act"]
    assert info["stream_keys"] == ["******"] and "sdk-start-key" not in config.result
    assert "sdk-room-key" not in config.result

    shown = client.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id))
    assert (shown.job_id, shown.state) == (job_id, "PROCESSING")  # no restart
    with pytest.raises(ClientRequestException) as unmodelled:
        execute("INSERT_PLAY_SCRIPT", {})
    assert (unmodelled.value.status_code, unmodelled.value.error_code) == (400, "MSS.00000003")
    assert "INSERT_PLAY_SCRIPT" in unmodelled.value.error_msg
    client.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job_id))
    with pytest.raises(ClientRequestException) as ended:
        execute("GET_LIVE_JOB_CONFIG_INFO")
    assert (ended.value.status_code, ended.value.error_code) == (400, "MSS.20020001")


def test_tampered_signature_is_401_through_the_sdk(base_url: str) -> None:
    def tamper(request: Any, **_: Any) -> None:
        authorization = request.header_params["Authorization"]
        flipped = "0" if authorization[-1] != "0" else "1"
        request.header_params["Authorization"] = authorization[:-1] + flipped

    client = sdk(base_url, HttpHandler().add_request_handler(tamper))
    with pytest.raises(ClientRequestException) as refused:
        client.list_interaction_rule_groups(ListInteractionRuleGroupsRequest())
    assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301")
    with pytest.raises(ClientRequestException) as wrong_sk:
        sdk(base_url, sk="not-the-secret").list_interaction_rule_groups(ListInteractionRuleGroupsRequest())
    assert wrong_sk.value.status_code == 401


def test_stale_sdk_date_is_401_through_the_sdk(client: MetaStudioClient, clock: ManualClock) -> None:
    clock.advance(16 * 60)  # the SDK signs with the real time, now 16 minutes behind the gateway's
    try:
        with pytest.raises(ClientRequestException) as refused:
            client.list_interaction_rule_groups(ListInteractionRuleGroupsRequest())
        assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301")
        assert "15 minutes" in refused.value.error_msg
    finally:
        clock.advance(-16 * 60)
    client.list_interaction_rule_groups(ListInteractionRuleGroupsRequest())


# --------------------------------------------------------------------------------------------------
# Seed examples: requests accepted, responses of the same shape.
# --------------------------------------------------------------------------------------------------


def example(name: str) -> Any:
    return json.loads((SEED_EXAMPLES / name).read_text(encoding="utf-8"))


def assert_shape(expected: Any, actual: Any, where: str = "$") -> None:
    """Every key of the example is in the answer, with a value of the same JSON kind (recursively)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key}"
            assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected an array"
        if expected and actual:
            assert_shape(expected[0], actual[0], f"{where}[0]")
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), where
    elif isinstance(expected, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), where
    else:
        assert isinstance(actual, type(expected)), f"{where}: {actual!r} is not a {type(expected).__name__}"


def test_seed_004_create_group_examples(raw: Api) -> None:
    response = raw.post(
        "/smart-live-interaction-rule-groups", example("004_create_interaction_rule_group_request.json")
    )
    assert response.status_code == 200
    assert_shape(example("004_create_interaction_rule_group_200.json"), response.json())
    bad = raw.post("/smart-live-interaction-rule-groups", {"group_name": 5})
    assert bad.status_code == 400
    assert_shape(example("004_create_interaction_rule_group_400.json"), bad.json())
    assert bad.json()["error_code"] == example("004_create_interaction_rule_group_400.json")["error_code"]


def test_seed_003_and_002_job_examples(raw: Api, clock: ManualClock) -> None:
    room_id = raw.room("seed-room")
    started = raw.start(room_id, example("003_start_smart_live_request.json"))
    assert started.status_code == 202
    assert_shape(example("003_start_smart_live_202.json"), started.json())
    clock.advance(START_DELAY + 60)
    raw.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{started.json()['job_id']}/stop")
    listed = raw.get(f"/smart-live-rooms/{room_id}/smart-live-jobs")
    assert listed.status_code == 200
    assert_shape(example("002_list_smart_live_200.json"), listed.json())
    bad = raw.get(f"/smart-live-rooms/{room_id}/smart-live-jobs", params={"limit": 0})
    assert (bad.status_code, bad.json()) == (400, bad.json()) and bad.json()["error_code"] == "MSS.00000003"
    assert_shape(example("002_list_smart_live_400.json"), bad.json())
    assert_shape(example("003_start_smart_live_400.json"), raw.start(room_id, {"output_urls": "x"}).json())


@pytest.mark.parametrize("page", ["000", "001"])
def test_seed_000_001_live_event_examples(raw: Api, page: str) -> None:
    room_id = raw.room(f"events-{page}")
    started = raw.start(room_id).json()
    url = started["live_event_report_url"]
    response = raw.report(url, example(f"{page}_live_event_report_request.json"))
    assert response.status_code == 200
    assert_shape(example(f"{page}_live_event_report_200.json"), response.json())
    unauthorized = raw.report(url.split("?")[0], example(f"{page}_live_event_report_request.json"))
    assert (unauthorized.status_code, unauthorized.json()) == (
        401,
        example(f"{page}_live_event_report_401.json"),
    )
    bad = raw.report(url, {"total": 2, "events": []})
    assert (
        bad.status_code == 400
        and bad.json()["error_code"] == example(f"{page}_live_event_report_400.json")["error_code"]
    )


def test_seed_error_examples_401_and_500(raw: Api) -> None:
    unsigned = raw.get("/smart-live-interaction-rule-groups", sign=False)
    assert unsigned.status_code == 401
    for name in (
        "002_list_smart_live_401.json",
        "003_start_smart_live_401.json",
        "004_create_interaction_rule_group_401.json",
    ):
        assert_shape(example(name), unsigned.json())
    raw.control("POST", "faults", {"error_rate": 1.0, "error_statuses": [500]})
    try:
        failed = raw.get("/smart-live-interaction-rule-groups")
    finally:
        raw.control("POST", "faults", {"error_rate": 0.0})
    for name in (
        "002_list_smart_live_500.json",
        "003_start_smart_live_500.json",
        "000_live_event_report_500.json",
    ):
        assert (failed.status_code, failed.json()) == (500, example(name))
