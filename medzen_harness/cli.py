"""`medzen-harness` console script.

Each job lives in its own package and registers its sub-command through a small
`cli.py` exposing `register(subparsers)`; this module only wires them together and
turns a `HarnessError` into one readable line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from medzen_harness.errors import HarnessError

# Sub-command modules, in the order `--help` lists them. Adding a job = one line here.
COMMAND_MODULES = [
    "medzen_harness.compliance.cli",
    "medzen_harness.aws.cli",
    "medzen_harness.lab.cli",
    "medzen_harness.drill.cli",
    "medzen_harness.latency.cli",
    "medzen_harness.evidence.cli",
    "medzen_harness.pipeline",
    "medzen_harness.docs",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medzen-harness",
        description="MedZen resilience & compliance harness (gate, deploy, drill, latency, report).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _raise_keyboard_interrupt(signum: int, _frame: object) -> None:
    # SIGTERM (CI cancelling a job, `timeout`) must run the same clean-up as Ctrl-C.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return int(args.func(args) or 0)
    except HarnessError as error:
        print(f"medzen-harness {args.command}: error: {error}", file=sys.stderr)
        return HarnessError.exit_code
    except KeyboardInterrupt:
        print(f"medzen-harness {args.command}: interrupted; environment restored", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
