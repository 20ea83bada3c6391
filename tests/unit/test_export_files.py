"""What `smartlive export` writes, without a service: the names it makes (export_names.py), the defaults
it leaves out (normalize.without_defaults), and the in-place update of a file the user edited
(manifest/rewrite.py)."""

from __future__ import annotations

import pytest
import yaml

from reconciler.engine import normalize
from reconciler.engine.export_names import reference, secret_variable, slug, unique
from reconciler.engine.kind import in_reference_order
from reconciler.kinds import RESOURCE_KINDS
from reconciler.manifest.layout import canonical_documents
from reconciler.manifest.rewrite import RewriteRefused, new_text, updated_text
from reconciler.resources import Address
from reconciler.runs.export import Selection


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Flagship Store (SDK)", "flagship-store-sdk"),
        ("evening show", "evening-show"),
        ("--a__b--", "a-b"),
        ("直播间", "unnamed"),
        ("x" * 400, "x" * 248),
    ],
)
def test_slug_is_a_valid_lower_case_name(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_unique_counts_from_two_and_secret_variables_are_upper_snake() -> None:
    assert unique("room", set()) == "room"
    assert unique("room", {"room", "room-2"}) == "room-3"
    assert (
        secret_variable("ROOM", "flagship-store-sdk", "STREAM_KEY_1")
        == "ROOM_FLAGSHIP_STORE_SDK_STREAM_KEY_1"
    )
    assert secret_variable("JOB", "evening.show-job", "CALLBACK_KEY") == "JOB_EVENING_SHOW_JOB_CALLBACK_KEY"
    assert reference("X_1") == "${env:X_1}"


def test_without_defaults_leaves_out_what_fill_puts_back_and_keeps_objects_declared() -> None:
    rule = {
        "rule_name": "r",
        "enabled": True,  # documented default
        "event_type": 1,
        "hit_condition": {"priority": normalize.RULE_DEFAULTS["hit_condition.priority"]},
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["hi"]},
    }
    stripped = normalize.without_defaults(rule, normalize.RULE_DEFAULTS, recreated=("hit_condition",))
    assert "enabled" not in stripped and "hit_condition" not in stripped  # the normalizer recreates it
    assert normalize.normalize_rule(stripped) == normalize.normalize_rule(rule)
    # An object of defaults only keeps one leaf: fill never creates an absent object.
    defaults = {"video_config.codec": "H264", "video_config.bitrate": 4000}
    body = {"video_config": {"codec": "H264", "bitrate": 4000}}
    kept = normalize.without_defaults(body, defaults)
    assert kept["video_config"] and set(kept["video_config"]) < {"codec", "bitrate"}
    filled = dict(kept["video_config"])
    normalize.fill({"video_config": filled}, defaults)
    assert filled == body["video_config"]


DOCUMENT = {
    "apiVersion": "smartlive/v1",
    "kind": "SmartLiveRoom",
    "metadata": {"name": "evening-show"},
    "spec": {"room_name": "evening show", "room_description": "new", "output_urls": ["rtmp://x/y"]},
}

EDITED = """\
# kept by hand
apiVersion: smartlive/v1
kind: SmartLiveRoom
metadata:
  name: evening-show   # do not rename
  labels:
    team: live-ops
spec:
  room_description: 'old'   # said by the console
  room_name: evening show
  room_type: TEMPLATE
"""


def test_update_in_place_keeps_comments_key_order_and_labels_and_changes_only_values() -> None:
    after = updated_text(EDITED, DOCUMENT)
    assert after.startswith("# kept by hand\n")
    assert "name: evening-show   # do not rename" in after and "team: live-ops" in after
    assert "room_description: 'new'   # said by the console" in after  # its quoting style too
    assert "room_type" not in after  # no longer in the export: removed
    spec_keys = list(yaml.safe_load(after)["spec"])
    assert spec_keys == ["room_description", "room_name", "output_urls"]  # the user's order, then new keys
    assert canonical_documents(after)[1] == after  # fmt --check passes
    assert updated_text(after, DOCUMENT) == after  # nothing left to change


def test_an_unchanged_value_keeps_its_quotes_and_a_file_without_the_document_is_refused() -> None:
    same = {**DOCUMENT, "spec": {**DOCUMENT["spec"], "room_description": "old"}}
    assert "room_description: 'old'" in updated_text(EDITED, same)
    other = {**DOCUMENT, "metadata": {"name": "another"}}
    with pytest.raises(RewriteRefused):
        updated_text(EDITED, other)


def test_new_files_quote_what_yaml_1_1_would_read_otherwise() -> None:
    text = new_text({**DOCUMENT, "spec": {"room_name": "yes", "room_description": "12:30", "x": "${env:A}"}})
    assert yaml.safe_load(text)["spec"] == {"room_name": "yes", "room_description": "12:30", "x": "${env:A}"}
    assert canonical_documents(text)[1] == text


def test_kinds_export_in_reference_order_and_selection_matches_either_name() -> None:
    ordered = [kind.name for kind in in_reference_order(list(reversed(RESOURCE_KINDS)))]
    assert ordered == ["InteractionRuleGroup", "SmartLiveRoom", "SmartLiveJob"]
    select = Selection(names=("evening*",))
    assert select(Address("SmartLiveRoom", "evening-show"), "evening show")
    assert select(Address("SmartLiveRoom", "x"), "evening show")
    assert not select(Address("SmartLiveRoom", "flagship"), "Flagship")
    assert Selection()(Address("SmartLiveJob", "anything"), "")
