"""One apply per target for the SQLite backend: an flock on a file beside the database.

flock belongs to the open file: the kernel drops it the moment the holding process exits, however it
dies, so a lock can never be left behind. The file also carries the holder (host, pid, since) as JSON
for refusal messages; that text may outlive a killed holder, which is harmless since only the flock
decides. The file is never deleted: removing it would let a newcomer lock a fresh inode while an old
holder still holds the unlinked one.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from reconciler.errors import LockError, LockLostError
from reconciler.state.base import (
    LockHolder,
    StateError,
    corrupt,
    holder_from_json,
    holder_to_json,
    lock_refusal,
    utc_now,
)

POLL_SECONDS = 0.05
_HINT = (
    "Wait for it to finish or give it longer (--lock-timeout); the lock is released when that process exits."
)


def _open(path: Path, store: str, *, create: bool) -> int:
    """The lock file, opened for reading and writing; one line naming the store when it cannot be (a
    directory or a FIFO where the file should be is not something this tool made: the store is corrupt)."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
    except IsADirectoryError:
        raise corrupt(store, f"its lock file {path} is a directory") from None
    except OSError as exc:
        raise StateError(
            f"cannot open the lock file {path} of the state store {store}: {exc.strerror}"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise corrupt(store, f"its lock file {path} is not a regular file")
    return fd


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(fd: int) -> LockHolder | None:
    return holder_from_json(os.pread(fd, 4096, 0).decode("utf-8", "replace"))


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    if text:
        os.pwrite(fd, text.encode(), 0)


@contextmanager
def file_lock(
    path: Path, target: str, *, timeout: float, holder: LockHolder, store: str
) -> Iterator[Callable[[], None]]:
    """Hold the lock; yields the check that it is still held (LockLostError once it is not)."""
    fd = _open(path, store, create=True)
    try:
        deadline = time.monotonic() + max(timeout, 0.0)
        while not _try_flock(fd):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockError(lock_refusal(target, _read_holder(fd), timeout, _HINT))
            time.sleep(min(POLL_SECONDS, remaining))
        _write(fd, holder_to_json(replace(holder, since=utc_now())))
        try:
            yield lambda: _still_held(fd, path, target)
        finally:
            _write(fd, "")
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _still_held(fd: int, path: Path, target: str) -> None:
    """Nobody can take an flock from its holder, but the file can be taken from under it: removed (by
    hand, a cleanup job) and made anew by the next process, which then locks another inode. The lock
    is held while the path still names the very file this process locked."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        raise LockLostError(target, f"its lock file {path} was removed") from None
    mine = os.fstat(fd)
    if (named.st_dev, named.st_ino) != (mine.st_dev, mine.st_ino):
        raise LockLostError(target, f"its lock file {path} was replaced")


def held_by(path: Path, *, store: str) -> LockHolder | None:
    """The live holder of the lock, None when it is free. An unknown holder has pid 0."""
    if not path.exists():
        return None
    fd = _open(path, store, create=False)
    try:
        if _try_flock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        return _read_holder(fd) or LockHolder(host="", pid=0, since="")
    finally:
        os.close(fd)


def clear_stale(path: Path, target: str, *, store: str) -> bool:
    """Erase a holder record left by a killed process. A live holder cannot be broken: say so."""
    if not path.exists():
        return False
    fd = _open(path, store, create=False)
    try:
        if not _try_flock(fd):
            holder = _read_holder(fd)
            pid = f" (kill {holder.pid})" if holder is not None and holder.pid else ""
            raise LockError(
                lock_refusal(
                    target,
                    holder,
                    0,
                    "That is a live process: a file lock cannot be broken from outside, it is released the "
                    f"moment the process exits. Let it finish, or stop it{pid} if it is stuck.",
                )
            )
        try:
            stale = bool(os.pread(fd, 1, 0))
            _write(fd, "")
            return stale
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
