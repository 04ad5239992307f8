"""`medzen-harness deploy`: deploy the MedZen stacks (embedded AWS or a real account),
verify them through the service APIs, check live compliance and PHI residency.

    medzen-harness deploy --target embedded|aws [--teardown] [--json F] [--alluredir D] [--config F]

`--teardown`: after verifying, delete every stack in reverse order and verify by listing
that nothing is left (what the nightly runs). Without it a real account keeps the stacks;
the embedded AWS ends with the command anyway. Exit 0: every check passed or was honestly
skipped; 1: a check failed (including a teardown leftover); 2: bad input or an error —
then nothing is left half-deployed and the embedded server is stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from medzen_harness.aws.compliance import run_static_gate
from medzen_harness.aws.evidence import write_allure
from medzen_harness.aws.session import DeployRun, deployed_environment
from medzen_harness.aws.targets import TARGET_KINDS
from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("deploy", help="deploy and verify the stacks in three regions (embedded AWS or a real account)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=TARGET_KINDS, help="embedded (moto server, default from config) or aws")
    parser.add_argument("--teardown", action="store_true", help="tear everything down after verifying and prove it by listing")
    parser.add_argument("--purge-retained", action="store_true",
                        help="with --teardown on aws: also delete resources the templates retain (DeletionPolicy: Retain); always done on embedded")
    parser.add_argument("--json", metavar="F", help="write the JSON report to F")
    parser.add_argument("--alluredir", metavar="D", help="write Allure results to D")
    parser.add_argument("--config", metavar="F", help="config override file (merged over config/medzen.yaml)")
    parser.add_argument("--plan", metavar="F", help="stack plan (default: aws.stack_plan of the config)")
    parser.add_argument("--gate-json", metavar="F", help="static gate JSON for 'template says' (default: run the gate when --alluredir is given)")
    parser.add_argument("--port", type=int, default=0, help="embedded: loopback port of the moto server (0 = any free port)")
    parser.set_defaults(func=run)


def _read_gate_json(path: str | None) -> dict | None:
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise HarnessError(f"--gate-json {path} is not a readable gate JSON ({error})") from error


def print_summary(run: DeployRun) -> None:
    for stack in run.stacks:
        print(f"{stack.status:10} {stack.name:22} {stack.region:11} {stack.template}")
    for check in run.all_checks:
        if check.status == "failed":
            print(f"FAILED  {check.id:32} {check.region:11} {check.resource}  {check.reason}")
    skipped: dict[str, int] = {}
    for check in run.all_checks:
        if check.status == "skipped":
            skipped[check.id] = skipped.get(check.id, 0) + 1
    if skipped:
        print("skipped (not emulated, see --json): " + ", ".join(f"{k} x{v}" for k, v in sorted(skipped.items())))
    counts = {s: sum(1 for c in run.all_checks if c.status == s) for s in ("passed", "failed", "skipped")}
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items())
    verdict = "FAIL" if run.exit_code else "PASS"
    print(f"deploy: {verdict} - target {run.target}, {len(run.stacks)} stack deployments, "
          f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped ({seconds})")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.port and (args.target or config["aws"]["target"]) != "embedded":
        raise HarnessError("--port only applies to --target embedded")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    purge = True if args.purge_retained else None
    gate = _read_gate_json(args.gate_json)
    # with --teardown the context also tears down when verification is interrupted
    with deployed_environment(config, args.target, args.plan, teardown=args.teardown, port=args.port,
                              purge_retained=purge) as env:
        if gate is None and args.alluredir:  # the side-by-side table needs the static verdicts
            gate = run_static_gate(sorted({s.template for s in env.plan.unique_stacks}))
        deploy_run = env.verify(gate)
        if args.teardown:
            env.teardown(purge)
    if args.json:
        Path(args.json).write_text(json.dumps(deploy_run.contract(), indent=2))
    if args.alluredir:
        write_allure(deploy_run, args.alluredir)
    print_summary(deploy_run)
    sys.stdout.flush()
    return deploy_run.exit_code
