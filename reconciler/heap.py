"""The one place smartlive tells the cyclic garbage collector what not to walk.

A command's long-lived objects (the imported modules, then the loaded manifests) are never garbage, yet
every full collection walks them all again, and the interpreter's exit once more. Three moments:

- `importing()`: while a command imports, the collector waits; what was imported is then frozen
  (gc.freeze: left out of every later collection). Measured (CPU, best of 10): `plan examples/ --local`
  598 -> 458 ms, ~40 ms of it during the run and the rest at exit; `validate examples/` 325 -> 292 ms.
- `frozen_while()`: a plan session freezes what is alive when it starts and again once the manifests are
  loaded (`freeze_now`); the objects a large plan makes trigger full collections, and each walked all of
  those again (0.3 s of a cold plan of 2,000 groups + 500 jobs). They go back to the oldest generation
  when the session ends: a process that plans many times (the tests) still collects them.
- `freeze_before_exit()`: once the command has returned, everything alive is frozen, so the exit's last
  collection skips it (0.3 s of a 1 s warm plan of 2,000 groups). The command has closed what it
  opened; atexit handlers still run and stdout and stderr are still flushed.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def importing() -> Iterator[None]:
    """Run a block of imports without the cyclic garbage collector, then freeze what they made.

    Only when the block imported something: in a process that runs commands again (the tests), a later run
    imports nothing new, and freezing would keep its garbage cycles from ever being collected."""
    enabled = gc.isenabled()
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def frozen_while() -> Iterator[None]:
    """What is alive now is left out of the collector's passes until the block ends (see the module doc)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_now() -> None:
    """Inside `frozen_while()`: what was made since is left out too, until that block ends."""
    gc.freeze()


def freeze_before_exit() -> None:
    """Everything alive is left out of the interpreter's last collection (see the module doc)."""
    gc.freeze()
