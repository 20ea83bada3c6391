"""`python -m reconciler` and the `smartlive` script: the CLI, then a quick exit (reconciler/heap.py)."""

import sys

from reconciler.cli import main
from reconciler.heap import freeze_before_exit


def run() -> None:
    code = main()
    freeze_before_exit()
    sys.exit(code)


if __name__ == "__main__":
    run()
