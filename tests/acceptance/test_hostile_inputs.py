"""Hostile inputs through the whole CLI (issue 15): every user-caused error is one clear line, nothing
hangs, and no secret is printed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.acceptance.conftest import SECRETS, Workspace

#: As examples/jobs/evening-portrait.yaml writes its stream key (a variable whose value is ${env:...}).
STREAM_KEY = "${var:portrait_stream_key}"


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: os.mkfifo(path), "not a regular file (a named pipe)"),
        (lambda path: path.symlink_to("/dev/zero"), "not a regular file (a character device)"),
        (lambda path: path.mkdir(), "not a regular file (a directory)"),
        (lambda path: path.write_bytes(b"k" * (64 * 1024 + 1)), "larger than 64 KiB; not read"),
    ],
    ids=["fifo", "dev-zero", "directory", "too-large"],
)
def test_a_secret_file_that_is_no_small_regular_file_fails_apply_at_once(
    workspace: Workspace, make: object, reason: str
) -> None:
    """A FIFO used to hang apply while it held the lock; /dev/zero was read until MemoryError."""
    secret = workspace.manifests / "jobs" / "portrait-key"
    make(secret)  # type: ignore[operator]
    workspace.edit("jobs/evening-portrait.yaml", STREAM_KEY, "${file:portrait-key}")
    started = time.monotonic()
    result = workspace.run("apply", str(workspace.manifests), *workspace.target(), "--auto-approve")
    assert time.monotonic() - started < 30
    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    [line] = error_lines(result.err)
    assert f"secret file {secret} cannot be read: {reason}" in line
    assert "${file:portrait-key}" in line
    assert not any(value in result.text for value in SECRETS.values())
    # The lock was released: the next apply (the key fixed) goes through.
    if secret.is_dir():
        secret.rmdir()
    else:
        secret.unlink()
    Path(secret).write_text(SECRETS["PORTRAIT_STREAM_KEY"] + "\n")
    fixed = workspace.run("apply", str(workspace.manifests), *workspace.target(), "--auto-approve")
    assert fixed.code == 0, fixed.text
