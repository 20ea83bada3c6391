"""What a command's start-up does besides importing only what it uses (cli.py, tests/unit/test_startup.py).

- `importing()`: a command's imports create tens of thousands of objects that live as long as the process
  (modules, classes, functions, pydantic's validators). The cyclic garbage collector, run every 700 new
  objects, walks them again and again while they age, and once more at the interpreter's exit, all for
  nothing: none of them is garbage. So the collector waits while a command imports, and what was
  imported is then frozen (gc.freeze: left out of every later collection, the one at exit included).
  Measured (CPU, best of 10): `plan examples/ --local` 598 -> 458 ms, ~40 ms of it during the run and the
  rest at exit; `validate examples/` 325 -> 292 ms, nearly all at exit.
- `skip_httpx_cli()`: httpx imports its own command-line client (click, pygments, rich: ~35 ms) whenever
  those happen to be installed, and smartlive never runs it.
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


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command-line client.

    httpx's __init__ imports `httpx._main` in a try block and defines a stub `httpx.main` when that raises
    ImportError; a None entry in sys.modules makes the import raise it. Done before httpx is first
    imported (cli.main), and never when it already is: then its client is loaded, and stays usable."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
