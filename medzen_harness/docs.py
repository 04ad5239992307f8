"""`medzen-harness docs [--check]`: regenerate the README tables from the catalogues.

Tables are never typed by hand: each lives between `<!-- BEGIN generated:NAME -->` and
`<!-- END generated:NAME -->` and is produced by the `markdown_table()` of its catalogue.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable
from pathlib import Path

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError

README = REPO_ROOT / "README.md"

# name -> "module:function" returning the markdown table. Adding a catalogue = one line.
GENERATED_TABLES: dict[str, str] = {
    "policies": "medzen_harness.compliance.catalogue:markdown_table",
    "faults": "medzen_harness.chaos.catalogue:markdown_table",
    "report-categories": "medzen_harness.evidence.categories:markdown_table",
    "vantage-points": "medzen_harness.latency.vantage:markdown_table",
    "aws-not-emulated": "medzen_harness.aws.emulator:markdown_table",
    "aws-security-groups": "medzen_harness.aws.architecture:markdown_table",
}


def _table_function(spec: str) -> Callable[[], str]:
    module_name, _, function_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def render(text: str, tables: dict[str, str] | None = None) -> str:
    """`text` with every generated block replaced by its current table."""
    for name, spec in (tables if tables is not None else GENERATED_TABLES).items():
        pattern = re.compile(
            rf"(<!-- BEGIN generated:{re.escape(name)} -->\n).*?(<!-- END generated:{re.escape(name)} -->)", re.S
        )
        if not pattern.search(text):
            raise HarnessError(f"README has no block for generated table '{name}'; add the BEGIN/END markers")
        table = _table_function(spec)().rstrip("\n") + "\n"
        text = pattern.sub(lambda match, table=table: match.group(1) + table + match.group(2), text)
    return text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("docs", help="regenerate the README tables from the catalogues")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is out of date, change nothing")
    parser.add_argument("--readme", type=Path, default=README)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    current = args.readme.read_text()
    fresh = render(current)
    if fresh == current:
        print(f"{args.readme}: generated tables are current")
        return 0
    if args.check:
        print(f"{args.readme}: generated tables are out of date; run `medzen-harness docs`", file=sys.stderr)
        return 1
    args.readme.write_text(fresh)
    print(f"{args.readme}: generated tables updated")
    return 0
