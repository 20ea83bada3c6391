"""Test only: the smartlive CLI, killed with SIGKILL right after its k-th mutating response.

    SMARTLIVE_TEST_KILL_AFTER_MUTATIONS=k python tests/apply/crashing_cli.py apply ... --auto-approve

The hook wraps HttpClient.request (every API call goes through it, whatever the transport underneath) in
this process only: once the k-th non-GET call has its answer (the service has committed it), the process
dies at once, before apply can write the state store or send anything else. No production code knows
about it.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from reconciler.cli import main
from reconciler.cloud.http import HttpClient

KILL_AFTER = int(os.environ["SMARTLIVE_TEST_KILL_AFTER_MUTATIONS"])
_request = HttpClient.request
_mutations = 0


async def request(self: HttpClient, method: str, path: str, **kwargs: Any) -> Any:
    global _mutations
    body = await _request(self, method, path, **kwargs)
    if method != "GET":
        _mutations += 1
        if _mutations == KILL_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)
    return body


HttpClient.request = request  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
