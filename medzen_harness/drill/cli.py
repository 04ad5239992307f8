"""`medzen-harness drill --fault NAME --region R [--replication-delay 1.5s] [--target lab|aws]
[--json F] [--alluredir D] [--config F]` — exit 0 targets met, 1 missed, 2 error."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from medzen_harness.chaos.base import parse_number
from medzen_harness.chaos.catalogue import fault_names, get_fault
from medzen_harness.config import load_config, require_region
from medzen_harness.drill.aws_target import REAL_FAILOVER_FLAG, AwsTarget, refuse_unless_allowed
from medzen_harness.drill.lock import drill_lock
from medzen_harness.drill.runbook import AwsRunbook, DrillAborted, Guardrail
from medzen_harness.errors import HarnessError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drill", help="inject a regional fault, fail over, measure RTO/RPO against the targets",
        description="Runs one failover drill. On the lab target it uses the lab of `lab up` when one runs, "
                    "else starts a private lab and removes it afterwards. Exit 0 targets met, 1 missed, 2 error.")
    parser.add_argument("--fault", required=True, help=f"one of: {', '.join(fault_names())}")
    parser.add_argument("--region", required=True, help="region hit by the fault (af-south-1 = primary)")
    parser.add_argument("--replication-delay", default="0", help="WAL shipping delay before the fault, e.g. 1.5s")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="fault parameter (e.g. added_ms=200 for latency, delay_seconds=3 for replication-lag)")
    parser.add_argument("--target", choices=("lab", "aws"), default="lab")
    parser.add_argument("--json", dest="json_path", type=Path, help="write the drill result JSON here")
    parser.add_argument("--alluredir", type=Path, help="write an Allure test case with the evidence here")
    parser.add_argument("--config", help="config override file (default: config/medzen.yaml)")
    parser.add_argument(REAL_FAILOVER_FLAG, dest="real_failover", action="store_true",
                        help="required with --target aws: confirms a real regional failover")
    parser.set_defaults(func=run)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HarnessError(f"--param must look like KEY=VALUE, got {pair!r}")
        params[key.strip()] = value.strip()
    return params


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    fault = get_fault(args.fault)
    region = require_region(args.region)
    delay = parse_number(args.replication_delay, "--replication-delay")
    params = parse_params(args.param)
    fault.resolve_parameters(params)  # reject unknown parameters before anything starts
    try:
        if args.target == "aws":
            result = run_aws(config, fault.name, region, params, args.real_failover)
            run = None
        else:
            run = run_lab(config, fault.name, region, delay, params)
            result = run.result
    except DrillAborted as aborted:
        _write_json(args.json_path, {"fault": fault.name, "region": region, "target": args.target,
                                     "verdict": "aborted", "error": str(aborted)})
        raise
    _write_json(args.json_path, result)
    if args.alluredir and run is not None:
        from medzen_harness.drill.evidence import drill_case
        from medzen_harness.evidence.allure import AllureResultsWriter

        AllureResultsWriter(args.alluredir).write(drill_case(run))
    from medzen_harness.drill.evidence import summary_line

    print(summary_line(result))
    return 0 if result["verdict"] == "met" else 1


def run_lab(config: dict[str, Any], fault: str, region: str, delay: float, params: dict[str, str]) -> Any:
    from medzen_harness.drill.engine import run_lab_drill
    from medzen_harness.lab.client import Lab, default_run_dir

    run_dir = Path(config["lab"].get("run_dir") or default_run_dir())
    shared = Lab.find(run_dir)
    if shared is not None:
        with drill_lock(run_dir / "drill.lock", f"the lab in {run_dir}"):
            return run_lab_drill(shared, fault, region, config, delay, params)
    with Lab.up(config) as private:  # no lab up: a private one, always removed
        return run_lab_drill(private, fault, region, config, delay, params)


def run_aws(config: dict[str, Any], fault_name: str, region: str, params: dict[str, str],
            flag_given: bool) -> dict[str, Any]:
    """A real failover: refused unless allowed; the runbook timed against AWS. RPO needs the data
    plane and is not measured on this target (reported as null with the reason)."""
    refuse_unless_allowed(config, flag_given)
    fault = get_fault(fault_name)
    target = AwsTarget(config)
    primary, dr = config["regions"]["primary"], config["regions"]["dr"]
    account = target.verify_accounts([primary, dr])
    lock_path = Path(f"/tmp/medzen-drill-aws-{account}.lock")
    with drill_lock(lock_path, f"AWS account {account}"):
        guard = Guardrail(float(config["drill"]["max_duration_seconds"]))
        injection = fault.aws(target, region, fault.resolve_parameters(params), config)
        try:
            injection.inject()
            fault_time = time.time()
            steps = AwsRunbook(target, primary, dr, config, guard).run(fault_time) if fault.failover else []
        finally:
            injection.heal()
    rto = sum(step.seconds for step in steps) if steps else None
    targets = {key: config["targets"][key] for key in ("rto_seconds", "rpo_seconds", "latency_ms")}
    return {"fault": fault.name, "region": region, "target": "aws", "rto_seconds": rto,
            "rto_basis": "sum of the runbook steps (no canary on this target)",
            "rpo_seconds": None, "rpo_reason": "not measured on aws: needs a canary through the data plane",
            "writes": {"acknowledged": 0, "lost": 0, "in_doubt": 0, "present": 0},
            "steps": [{"name": s.name, "seconds": round(s.seconds, 3)} for s in steps], "targets": targets,
            "verdict": "met" if rto is not None and rto <= targets["rto_seconds"] else "missed",
            "reasons": [], "restore": {"verified": None}}


def _write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, default=str))
