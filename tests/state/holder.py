"""A second process for the lock and crash tests: `holder.py STORE TARGET MODE [options]`.

lock: take the lock, print `LOCKED <pid>`, hold it until stdin closes or a line arrives, print `RELEASED`.
put-and-die: put N records, print `PUT`, then SIGKILL itself (no close, no cleanup).
put-many: put N records under distinct addresses, print `PUT`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from reconciler.resources import Address, ManagedRecord
from reconciler.state import LockHolder, open_store


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("target")
    parser.add_argument("mode", choices=("lock", "put-and-die", "put-many"))
    parser.add_argument("--host", default="")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--prefix", default="g")
    args = parser.parse_args()
    store = open_store(args.store, workdir=Path.cwd())
    if args.mode == "lock":
        holder = LockHolder.current("apply")
        if args.host:
            holder = LockHolder(args.host, holder.pid, holder.since, holder.user, holder.operation)
        with store.lock(args.target, timeout=0, holder=holder):
            print(f"LOCKED {os.getpid()}", flush=True)
            sys.stdin.readline()
        print("RELEASED", flush=True)
        return 0
    for i in range(args.count):
        record = ManagedRecord(Address("InteractionRuleGroup", f"{args.prefix}{i}"), f"id-{i}")
        store.put(args.target, record, applied_by="holder")
    print("PUT", flush=True)
    if args.mode == "put-and-die":
        os.kill(os.getpid(), signal.SIGKILL)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
