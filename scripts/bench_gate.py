#!/usr/bin/env python3
"""Benchmark: the gate vs the bare Checkov CLI + the cfn-lint CLI on the same templates.

    python scripts/bench_gate.py [--runs 5] [--json reports/bench-gate.json] [PATH ...]

Each run times, as separate processes (wall clock, cold start included, as a release
pipeline would run them):
  gate      python -m medzen_harness gate PATH... --quiet
  checkov   checkov -f FILE... --external-checks-dir policies --check MZ_... --skip-download
            --framework cloudformation -o json        (same policies, same files)
  cfn-lint  cfn-lint --regions <the 3 regions> -- FILE...   (same rules and regions as the gate)
The order of the three alternates between runs. Target (issue 2 section 6): gate median
<= half of (checkov + cfn-lint) median, and < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from medzen_harness.compliance.catalogue import load_policies  # noqa: E402
from medzen_harness.compliance.gate import collect_templates  # noqa: E402
from medzen_harness.config import load_config  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + sys of the process and its children), exit code, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode, done.stdout


def phases(paths: list[str], regions: list[str]) -> None:
    """CPU and wall time of each phase of the gate, in this process, sequentially."""
    def mark(label: str) -> None:
        nonlocal cpu, wall
        print(f"| {label} | {time.process_time() - cpu:.2f} | {time.perf_counter() - wall:.2f} |", flush=True)
        cpu, wall = time.process_time(), time.perf_counter()

    print("| phase | CPU s | wall s |\n|---|---|---|")
    cpu, wall = time.process_time(), time.perf_counter()
    from medzen_harness.compliance.template import load_template

    templates = [load_template(f) for f in collect_templates([REPO / p for p in paths])]
    mark("decode (incl. importing cfn-lint)")
    from medzen_harness.compliance.lint import _rules, lint_template

    _rules()
    mark("cfn-lint rules")
    for template in templates:
        lint_template(template, regions)
    mark("cfn-lint over the templates")
    from medzen_harness.compliance.scan import _quiet_checkov

    _quiet_checkov()
    import checkov.cloudformation.runner  # noqa: F401

    mark("import Checkov")
    from medzen_harness.compliance.scan import run_checkov

    run_checkov([t.path for t in templates], load_policies())
    mark("Checkov scan (20 policies)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["cloudformation"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--phases", action="store_true", help="only time the gate's phases in-process")
    args = parser.parse_args()

    files = [str(p) for p in collect_templates([REPO / p for p in args.paths])]
    config = load_config(None)
    regions = [config["regions"][r] for r in ("primary", "dr", "backup")]
    if args.phases:
        phases(args.paths, regions)
        return 0
    checks = ",".join(p.id for p in load_policies())
    env = {**os.environ, "PYTHONPATH": str(REPO), "BC_SKIP_MAPPING": "TRUE", "CHECKOV_SKIP_DOWNLOAD": "TRUE"}
    commands = {
        "gate": [sys.executable, "-m", "medzen_harness", "gate", *args.paths, "--quiet"],
        "checkov": [str(BIN / "checkov"), *[a for f in files for a in ("-f", f)], "--external-checks-dir",
                    str(REPO / "policies"), "--check", checks, "--skip-download", "--framework", "cloudformation",
                    "-o", "json"],
        "cfn-lint": [str(BIN / "cfn-lint"), "--regions", *regions, "--", *files],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, set[int]] = {name: set() for name in commands}
    checkov_records = None
    load_at_start = round(os.getloadavg()[0], 2)
    for run in range(args.runs):
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            seconds, cpu_seconds, code, stdout = timed(commands[name], env)
            times[name].append(seconds)
            cpu[name].append(cpu_seconds)
            codes[name].add(code)
            if name == "checkov" and checkov_records is None:
                report = json.loads(stdout)
                summary = (report[0] if isinstance(report, list) else report)["summary"]
                checkov_records = summary["passed"] + summary["failed"]
        print(f"run {run + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s (cpu {cpu[n][-1]:.2f})" for n in commands),
              flush=True)

    both = [c + lint for c, lint in zip(times["checkov"], times["cfn-lint"], strict=True)]
    median = {name: statistics.median(values) for name, values in times.items()}
    median["checkov + cfn-lint"] = statistics.median(both)
    ratio = median["gate"] / median["checkov + cfn-lint"]
    best_ratio = min(times["gate"]) / min(both)
    result = {
        "files": [os.path.relpath(f, REPO) for f in files], "runs": args.runs, "regions": regions,
        "seconds": {n: [round(v, 3) for v in vals] for n, vals in times.items()},
        "median_seconds": {n: round(v, 3) for n, v in median.items()},
        "cpu_seconds": {n: [round(v, 3) for v in vals] for n, vals in cpu.items()},
        "median_cpu_seconds": {n: round(statistics.median(v), 3) for n, v in cpu.items()},
        "exit_codes": {n: sorted(c) for n, c in codes.items()},
        "checkov_cli_records": checkov_records,
        "gate_over_clis": round(ratio, 3),
        "gate_over_clis_best": round(best_ratio, 3),
        "target_met": ratio <= 0.5 and median["gate"] < 5.0,
        "target_met_best_of_runs": best_ratio <= 0.5 and min(times["gate"]) < 5.0,
        "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
        "load_average_at_start_1m": load_at_start,
    }
    cpu_both = [c + lint for c, lint in zip(cpu["checkov"], cpu["cfn-lint"], strict=True)]
    print("\n| command | wall median s | wall min s | wall max s | CPU median s |\n|---|---|---|---|---|")
    for name, values in {**times, "checkov + cfn-lint": both}.items():
        cpu_values = {**cpu, "checkov + cfn-lint": cpu_both}[name]
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} | "
              f"{statistics.median(cpu_values):.2f} |")
    print(f"\ngate / (checkov + cfn-lint): median {ratio:.2f}, best runs {best_ratio:.2f}; target (<= 0.5 and "
          f"gate < 5 s) {'met' if result['target_met'] else 'NOT met'} on medians, "
          f"{'met' if result['target_met_best_of_runs'] else 'NOT met'} on best runs; "
          f"load average {result['load_average_1m']} (2 cores shared with other jobs inflate wall times)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
