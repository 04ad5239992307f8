"""`medzen-harness latency`: p50/p95/p99 per African vantage point, normal and DR routing.

Exit 0: every judged row meets the target; 1: any misses; 2: bad input or an error (one
line on stderr, no Locust process left behind).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError
from medzen_harness.latency import engine
from medzen_harness.latency.evidence import summary_lines, write_allure

ENV_BACKEND = "MEDZEN_LATENCY_BACKEND"  # "lab" (default) or "standin" (tests: in-memory EHR, no Postgres)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "latency", help="latency from African vantage points (Locust, distributed), normal and DR routing",
        description="Measure p50/p95/p99 per vantage point with Locust (one master, one worker per vantage "
                    "point). Embedded mode emulates the vantage points' round trips on this machine.")
    parser.add_argument("--vantage", action="append", metavar="V",
                        help="vantage point (repeatable; default: all in load/vantage_points.yaml)")
    parser.add_argument("--users", type=int, help="total users, spread evenly over the vantage points")
    parser.add_argument("--duration", type=int, metavar="S", help="seconds of load per mode")
    parser.add_argument("--mode", choices=[*engine.MODES, "both"], default="normal",
                        help="normal: primary region serves; dr: af-south-1 failed, eu-west-1 serves; both")
    parser.add_argument("--target", choices=engine.TARGETS, default="lab",
                        help="lab: embedded lab, emulated vantage points (default); aws: configured endpoints")
    parser.add_argument("--json", type=Path, metavar="F", help="write the JSON report here")
    parser.add_argument("--alluredir", type=Path, metavar="D", help="write Allure results here")
    parser.add_argument("--out", type=Path, metavar="D", help="keep Locust CSVs and logs here (default: temp)")
    parser.add_argument("--config", metavar="F", help="config override file (default: config/medzen.yaml)")
    parser.set_defaults(func=run)


def embedded_backends(config: dict):
    """The embedded regions' EHR APIs: the lab (default) or, for tests, in-memory stand-ins."""
    choice = os.environ.get(ENV_BACKEND, "lab")
    if choice == "standin":
        from medzen_harness.latency.backends import StandInRegions

        return StandInRegions()
    if choice != "lab":
        raise HarnessError(f"{ENV_BACKEND} must be 'lab' or 'standin', got {choice!r}")
    from medzen_harness.latency.lab_backend import LabRegions

    return LabRegions(config)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    settings = engine.resolve_settings(config, args.vantage, args.users, args.duration)
    modes = list(engine.MODES) if args.mode == "both" else [args.mode]
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="medzen-latency-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = []
    try:
        if args.target == "lab":
            with embedded_backends(config) as backends:
                for mode in modes:
                    reports.append(engine.run_embedded(settings, mode, config, backends, out_dir))
        else:
            for mode in modes:
                reports.append(engine.run_aws(settings, mode, config, out_dir, lambda line: print(line)))
        report = engine.report_json(settings, reports, args.target)
        for line in summary_lines(report):
            print(line)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2, default=str))
        if args.alluredir:
            write_allure(args.alluredir, report, [p for rep in reports for p in rep["csv_files"]])
    finally:
        if args.out is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    sys.stdout.flush()
    return 1 if report["verdict"] == "missed" else 0
