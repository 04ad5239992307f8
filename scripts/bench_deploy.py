"""Benchmark: deploy + verify + teardown of all MedZen stacks (three regions) on the embedded
AWS, several runs, wall time per phase. The numbers go to the README's Performance section.

    PYTHONPATH=$PWD /tmp/probe-venv/bin/python scripts/bench_deploy.py --runs 5

Each run starts its own moto server (fresh state), deploys the plan (9 steps: 8 stacks and
the global update, skipped on the embedded target), runs every service-API check, the live
compliance and the PHI residency map, then tears down and verifies by listing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from medzen_harness.aws.session import deployed_environment
from medzen_harness.config import load_config


def one_run(config: dict, plan: str | None) -> dict[str, float]:
    started = time.monotonic()
    with deployed_environment(config, "embedded", plan, teardown=False) as environment:
        environment.verify()
        environment.teardown()
        run = environment.run
    failed = [c.id for c in run.all_checks if c.status == "failed"]
    if failed or run.teardown.leftover:
        raise SystemExit(f"run not clean: failed {failed}, leftover {run.teardown.leftover}")
    return {**{k: round(v, 3) for k, v in run.seconds.items()}, "total": round(time.monotonic() - started, 3),
            "checks": len(run.all_checks)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plan", help="stack plan (default: the MedZen plan)")
    parser.add_argument("--json", metavar="F")
    args = parser.parse_args(argv)
    config = load_config(None)
    runs = []
    for index in range(args.runs):
        result = one_run(config, args.plan)
        runs.append(result)
        print(f"run {index + 1}: " + ", ".join(f"{k} {v}" for k, v in result.items()), flush=True)
    summary = {phase: {"median": statistics.median(r[phase] for r in runs), "min": min(r[phase] for r in runs),
                       "max": max(r[phase] for r in runs)} for phase in ("deploy", "verify", "teardown", "total")}
    for phase, numbers in summary.items():
        print(f"{phase:9} median {numbers['median']:.2f} s  min {numbers['min']:.2f} s  max {numbers['max']:.2f} s")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"runs": runs, "summary": summary}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
