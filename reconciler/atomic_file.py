"""The one way smartlive replaces a file it writes (a saved plan, the parse cache, a formatted manifest):
whole or not at all.

The bytes go to a temporary file beside the target, which is then renamed over it: a reader sees the old
file or the new one, never half of either, and a failed write (a full disk, Ctrl-C) leaves the target as
it was and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The mode of a file written anew: its owner's only (a plan names endpoints and ids).
OWNER_ONLY = 0o600


def replace_atomically(path: str | os.PathLike[str], data: bytes, *, mode: int = OWNER_ONLY) -> None:
    """Write `data` as the file at `path` (created or replaced), with `mode`; OSError as the OS says."""
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
