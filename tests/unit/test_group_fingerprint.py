"""A rule group's fingerprint (what the state store records, and the read cache compares) is the HMAC of
its canonical form as sorted, compact JSON, however the group was built: from manifests checked now, or
from the canonical text the parse cache kept (a warm plan). Records written by earlier versions, which
serialized the canonical form each time, stay valid."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from reconciler.engine.kind import BuildContext
from reconciler.kinds.rule_group import KIND, normalize_group
from reconciler.manifest import load_manifests
from reconciler.state.base import fingerprint

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = b"k" * 32


def expected(manifest_rules: list[dict[str, object]], name: str) -> str:
    canonical = normalize_group({"group_name": name, "interaction_rules": manifest_rules})
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


def test_the_fingerprint_is_the_same_cold_warm_and_as_before(tmp_path: Path) -> None:
    context = BuildContext(fingerprint=lambda value: fingerprint(value, KEY), environ=os.environ)
    cold = load_manifests([EXAMPLES], cache_dir=tmp_path).of_kind(KIND.name)
    warm = load_manifests([EXAMPLES], cache_dir=tmp_path).of_kind(KIND.name)
    assert cold and [m.name for m in warm] == [m.name for m in cold]
    for before, after in zip(cold, warm, strict=True):
        rules = [r.model_dump(mode="json", exclude_none=True) for r in before.spec.interaction_rules]
        built_cold, built_warm = KIND.build(before, context), KIND.build(after, context)
        assert built_cold.value.fingerprint == built_warm.value.fingerprint == expected(rules, before.name)
        assert built_warm.value.canonical == normalize_group(
            {"group_name": before.name, "interaction_rules": rules}
        )
