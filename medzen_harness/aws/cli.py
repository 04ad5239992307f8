"""`medzen-harness` sub-command(s) of the aws package (placeholder until implemented)."""

from __future__ import annotations

import argparse

from medzen_harness.errors import HarnessError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("aws-placeholder", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise HarnessError("aws is not implemented yet")
