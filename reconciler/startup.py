"""What a command's start-up does besides importing only what it uses (cli.py, tests/unit/test_startup.py):
the collector's part is reconciler/heap.py.

- `skip_httpx_cli()`: httpx imports its own command-line client (click, pygments, rich: ~35 ms) whenever
  those happen to be installed, and smartlive never runs it.
"""

from __future__ import annotations

import sys


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command-line client.

    httpx's __init__ imports `httpx._main` in a try block and defines a stub `httpx.main` when that raises
    ImportError; a None entry in sys.modules makes the import raise it. Done before httpx is first
    imported (cli.main), and never when it already is: then its client is loaded, and stays usable."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
