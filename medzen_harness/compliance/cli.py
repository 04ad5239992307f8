"""`medzen-harness gate [PATH ...]`: the pre-release compliance gate (exit 0 / 1 / 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medzen_harness.errors import HarnessError

STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "unresolved": "UNRESOLVED", "skipped": "WAIVED"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="pre-release compliance gate: cfn-lint + MedZen Checkov policies (KMS, retention, TLS)",
        description="Judge CloudFormation templates with cfn-lint and the MedZen policies. "
                    "Exit 0 when everything passed, 1 on any finding (failed or unresolved policy, "
                    "cfn-lint error or warning), 2 on usage errors and unreadable/unparsable templates.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="template files or folders (default: cloudformation/, chaos templates included)")
    parser.add_argument("--json", metavar="FILE", help="findings as JSON (DESIGN.md contract)")
    parser.add_argument("--junit", metavar="FILE", help="findings as JUnit XML")
    parser.add_argument("--sarif", metavar="FILE", help="findings as SARIF 2.1.0 (code-scanning UIs)")
    parser.add_argument("--alluredir", metavar="DIR", help="one Allure test case per policy x resource")
    parser.add_argument("--policy", action="append", metavar="ID",
                        help="only these policy ids (repeatable; default: the whole catalogue)")
    parser.add_argument("--config", metavar="FILE", help="configuration override (regions for cfn-lint)")
    parser.add_argument("--quiet", action="store_true", help="print only findings, not passed records")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from medzen_harness.compliance import outputs
    from medzen_harness.compliance.gate import default_paths, run_gate
    from medzen_harness.config import load_config

    for option in ("json", "junit", "sarif"):
        value = getattr(args, option)
        if value and Path(value).is_dir():
            raise HarnessError(f"--{option} {value} is a folder; give a file name")
    config = load_config(args.config)
    regions = [config["regions"][role] for role in ("primary", "dr", "backup")]
    report = run_gate(args.paths or default_paths(), regions=regions, policy_ids=args.policy)
    if args.json:
        outputs.write_json(report, args.json)
    if args.junit:
        outputs.write_junit(report, args.junit)
    if args.sarif:
        outputs.write_sarif(report, args.sarif)
    if args.alluredir:
        outputs.write_allure(report, args.alluredir)
    print_report(report, quiet=args.quiet)
    return report.exit_code


def print_report(report, quiet: bool = False) -> None:
    out = sys.stdout
    for finding in report.findings:
        if quiet and finding.status == "passed":
            continue
        where = f"{finding.file}:{finding.line or 1}"
        out.write(f"{STATUS_MARK.get(finding.status, finding.status):10} {finding.policy:32} "
                  f"{finding.resource or '(template)':28} {where}\n")
        if finding.status != "passed":
            out.write(f"{'':11}{finding.message}\n")
            if finding.reason:
                out.write(f"{'':11}reason: {finding.reason}\n")
    summary = report.summary()
    out.write(f"gate: {summary['verdict'].upper()} - {summary['templates']} template(s), "
              f"{summary['passed']} passed, {summary['failed']} failed, {summary['unresolved']} unresolved, "
              f"{summary['skipped']} waived ({summary['seconds']} s)\n")
