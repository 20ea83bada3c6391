"""reconciler/api/field_docs.json: the API's documentation of each request field, as the official SDK
(a test dependency) gives it, checked in so that the schemas are generated without the SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.api import field_docs
from reconciler.api.field_docs import FIELD_DOCS_FILE, extract, field_doc, render, tidy

REPO = Path(__file__).resolve().parents[2]


def test_the_checked_in_file_is_what_the_installed_sdk_gives() -> None:
    pytest.importorskip(field_docs.SDK_PACKAGE)
    assert FIELD_DOCS_FILE.read_text(encoding="utf-8") == render(extract()), (
        "stale: run python -m reconciler.api.field_docs"
    )


def test_check_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip(field_docs.SDK_PACKAGE)
    stale = tmp_path / "field_docs.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(field_docs, "FIELD_DOCS_FILE", stale)
    assert field_docs.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "{}\n"
    assert field_docs.main([]) == 0
    assert field_docs.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == FIELD_DOCS_FILE.read_text(encoding="utf-8")


def test_every_manifest_api_object_is_covered() -> None:
    assert field_doc("VideoConfig", "bitrate").startswith("输出平均码率。单位：kbps。")
    assert field_doc("StartSmartLiveReq", "output_urls")
    assert field_doc("LiveRoomInteractionRuleInfo", "enabled_scenes")
    assert field_doc("VideoConfig", "no_such_field") == field_doc("NoSuchModel", "bitrate") == ""


def test_tidy_keeps_the_documentation_and_drops_the_generator_s_words() -> None:
    docstring = (
        "Gets the codec of this VideoConfig.\n\n"
        "**参数解释**： 视频编码格式。 **约束限制**： 不涉及。 **取值范围**： * H264：h264编码。 "
        "* VP8：vp8编码，参考[字体](metastudio_02_0041.xml)。  **默认取值**： H264\n\n"
        ":return: The codec of this VideoConfig.\n:rtype: str"
    )
    assert (
        tidy(docstring)
        == "视频编码格式。\nValues:\n- H264：h264编码。\n- VP8：vp8编码，参考字体。\nDefault: H264"
    )


def test_tidy_drops_example_payloads_and_escapes() -> None:
    docstring = (
        '**参数解释**： 回调事件。 x&gt;0 * A：一。 - A回调定义如下：     ```json     {\\"a\\": 1}     ```  '
        "其中state取值：B。"
    )
    assert tidy(docstring) == "回调事件。 x>0\n- A：一。 其中state取值：B。"


def test_the_runtime_never_imports_the_sdk() -> None:
    """`smartlive schema` reads the JSON file: the SDK is a test dependency only."""
    code = (
        "import sys; from reconciler.cli import main; main(['schema']); "
        "assert not [m for m in sys.modules if m.startswith('huaweicloudsdk')], 'SDK imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
