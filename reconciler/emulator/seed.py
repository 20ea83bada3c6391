"""`--seed FILE`: rooms and rule groups that exist from the start.

    rooms:
      - room_id: 5f0c2b1e-0000-4000-8000-000000000001   # required: tests and manifests name it
        room_name: demo room
        interaction_rules: [...]                           # any CreateSmartLiveRoomReq field
    rule_groups:
      - group_name: welcome                                # group_id optional
        interaction_rules: [...]

Applying a seed is idempotent, so that restarting with --data does not duplicate anything: a room is
created unless its room_id exists; a group unless its group_id (or, without one, its group_name) exists.
Existing resources are left as they are: the seed is an initial state, not a desired state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.api import models as m
from reconciler.emulator.backend import MetaStudioBackend
from reconciler.emulator.exceptions import validation_message
from reconciler.errors import ConfigError
from reconciler.manifest.files import MAX_FILE_BYTES, FileRefused, read_regular_file


@dataclass(frozen=True)
class SeedRoom:
    room_id: str
    body: m.CreateSmartLiveRoomReq


@dataclass(frozen=True)
class SeedGroup:
    group_id: str | None
    body: m.InteractionRuleGroup


@dataclass(frozen=True)
class Seed:
    rooms: list[SeedRoom] = field(default_factory=list)
    rule_groups: list[SeedGroup] = field(default_factory=list)


def _entries(document: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    entries = document.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}: {key} must be a list of mappings")
    return [dict(e) for e in entries]


def _id(entry: dict[str, Any], key: str, where: str, required: bool) -> str | None:
    value = entry.pop(key, None)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    return value


def parse_seed(document: Any, where: str) -> Seed:
    if document is None:
        return Seed()
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: the seed must be a mapping with rooms and rule_groups")
    unknown = set(document) - {"rooms", "rule_groups"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))} (rooms, rule_groups)"
        )
    seed = Seed()
    for index, entry in enumerate(_entries(document, "rooms", where)):
        at = f"{where}: rooms[{index}]"
        room_id = _id(entry, "room_id", at, required=True)
        assert room_id is not None
        try:
            seed.rooms.append(SeedRoom(room_id, m.CreateSmartLiveRoomReq.model_validate(entry)))
        except ValidationError as error:
            raise ConfigError(f"{at}: {validation_message(error)}") from None
    for index, entry in enumerate(_entries(document, "rule_groups", where)):
        at = f"{where}: rule_groups[{index}]"
        group_id = _id(entry, "group_id", at, required=False)
        try:
            seed.rule_groups.append(SeedGroup(group_id, m.InteractionRuleGroup.model_validate(entry)))
        except ValidationError as error:
            raise ConfigError(f"{at}: {validation_message(error)}") from None
    return seed


def load_seed(path: Path) -> Seed:
    from ruamel.yaml import YAML  # imported here: only a seeded start pays for it
    from ruamel.yaml.error import YAMLError

    try:
        # As a manifest is read: a regular file of at most 10 MiB (a FIFO or /dev/zero never ends).
        text = read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except FileRefused as refused:
        raise ConfigError(f"cannot read seed file {path}: {refused.reason}") from None
    except OSError as error:
        raise ConfigError(f"cannot read seed file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read seed file {path}: not UTF-8 text") from None
    try:
        document = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, RecursionError) as error:
        reason = " ".join(str(error).split()) if isinstance(error, YAMLError) else "nested too deeply"
        raise ConfigError(f"{path}: not valid YAML: {reason}") from None
    return parse_seed(document, str(path))


def apply_seed(backend: MetaStudioBackend, seed: Seed) -> None:
    for room in seed.rooms:
        if not backend.room_exists(room.room_id):
            backend.create_smart_live_room(room.body, room_id=room.room_id)
    for group in seed.rule_groups:
        with backend.store.read() as tx:
            exists = tx.group(group.group_id) if group.group_id else tx.group_named(group.body.group_name)
        if exists is None:
            backend.create_interaction_rule_group(group.body, group_id=group.group_id)
