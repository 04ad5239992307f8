"""The two pipelines: `nightly` (lab, deploy, gate, drills, latency, report) and `gate`."""

from __future__ import annotations

import argparse

from medzen_harness.errors import HarnessError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("nightly", help="the nightly drill on the embedded lab")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise HarnessError("nightly is not implemented yet")
