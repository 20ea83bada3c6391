"""YAML files that are not smartlive manifests, which a directory walk skips.

`smartlive validate .` (the pre-commit hook's default) walks a whole repository: its CI workflows, a
docker-compose.yml, a Helm chart's values are YAML too, and none of them is an error of the manifests.
A file found by walking a directory is checked when it holds a document meant as a smartlive manifest;
otherwise it is skipped, and counted in the summary line. A file named on the command line is always
checked: whoever names it says it is a manifest.

A document is meant as a smartlive manifest when it is a mapping and

* its ``apiVersion`` is a string starting with ``smartlive`` (``smartlive/v1``, or a wrong version of
  it, which validate then reports), or
* its ``kind`` is a smartlive kind, or within a typo of one (``InteractionRuleGrop``), whatever its
  apiVersion says (``apiVersion: v1`` on an InteractionRuleGroup is a mistake to report, not another
  tool's document).

So ``apiVersion: apps/v1`` + ``kind: Deployment`` is skipped, and so is a mapping with neither key (a
compose file, a workflow), a list (an Ansible playbook) or a scalar. A file without any document (or
with only empty ones) is not another tool's: validate warns of it (Y008), as before.

A file that cannot be read as YAML (a syntax error, an unsupported tag such as CloudFormation's
``!Ref``, bytes that are not UTF-8) has no documents to judge by: it is checked when its text names
smartlive (an ``apiVersion: smartlive...`` or a ``kind:`` that is a smartlive kind), else skipped.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from typing import Any, Final

#: How close a kind must be to a smartlive kind to be taken as a typo of it (difflib's ratio):
#: `InteractionRuleGrop` is 0.97; of Kubernetes' and other tools' kinds the closest, Istio's
#: `DestinationRule`, is 0.59.
TYPO_RATIO: Final = 0.75

_API_VERSION = re.compile(rb"""\bapiVersion\s*:\s*["']?smartlive""", re.IGNORECASE)
_KIND = re.compile(rb"""\bkind\s*:\s*["']?([A-Za-z][A-Za-z0-9_-]*)""")
#: `kind:` lines looked at in a file that does not parse: enough for any manifest file's documents.
_MAX_KINDS: Final = 100


def is_smartlive_kind(kind: Any, known: Collection[str]) -> bool:
    if not isinstance(kind, str):
        return False
    return kind in known or bool(difflib.get_close_matches(kind, list(known), n=1, cutoff=TYPO_RATIO))


def meant_as_manifest(data: Any, known: Collection[str]) -> bool:
    """Whether a document (its plain data) is meant as a smartlive manifest (see the module's doc)."""
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if isinstance(version, str) and version.lower().startswith("smartlive"):
        return True
    return is_smartlive_kind(data.get("kind"), known)


def text_hints(data: bytes) -> tuple[bool, list[str]]:
    """What the text of a file that does not parse says of itself: (an `apiVersion: smartlive...` is
    written in it, the kinds its `kind:` keys name). Plain data: it may come from a forked child."""
    if _API_VERSION.search(data):
        return True, []
    kinds: list[str] = []
    for match in _KIND.finditer(data):
        kind = match.group(1).decode("ascii")
        if kind not in kinds:
            kinds.append(kind)
            if len(kinds) >= _MAX_KINDS:
                break
    return False, kinds


def hints_name_smartlive(hints: tuple[bool, Iterable[str]], known: Collection[str]) -> bool:
    names_api_version, kinds = hints
    return names_api_version or any(is_smartlive_kind(kind, known) for kind in kinds)
