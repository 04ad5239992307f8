"""`medzen-harness report`: regenerate the Allure report from results (and optionally serve it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from medzen_harness.evidence.report import generate_report, serve_report


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535 (0 = any free port), got {port}")
    return port


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="generate the Allure report from results into reports/<UTC date-time>/ and reports/latest",
        description="Generate the single-file Allure 3 report (offline) from Allure results; "
                    "with --serve, serve reports/latest on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--results", default="reports/allure-results", metavar="D",
                        help="Allure results directory (default: reports/allure-results)")
    parser.add_argument("--reports-root", default="reports", metavar="R",
                        help="where report folders, latest/ and history/ live (default: reports)")
    parser.add_argument("--name", default="MedZen nightly", help="report name (default: MedZen nightly)")
    parser.add_argument("--no-history", action="store_true", help="neither read nor extend the history")
    parser.add_argument("--config", default=None, help="harness config override file (targets shown in the report)")
    parser.add_argument("--serve", action="store_true", help="serve reports/latest on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=_port, default=0, metavar="P", help="port for --serve (default: a free port)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    index = generate_report(args.results, args.reports_root, history=not args.no_history, name=args.name,
                            config_path=args.config)
    latest = Path(args.reports_root) / "latest"
    print(f"report: {index}")
    print(f"latest: {latest / 'index.html'} (HIPAA control index: {latest / 'hipaa-index.html'})")
    if args.serve:
        serve_report(latest, args.port)
    return 0
