#!/usr/bin/env python
"""Benchmark of the failover drill against injected ground truth.

For each WAL-shipping delay D (default 0.5, 1.5, 4 s), RUNS region-outage drills of
af-south-1 on one lab: the measured RPO must be within ±max(150 ms, 5 % of D) of D in at
least 9 of 10 runs. Also reports RTO with its breakdown, and times FULL complete drills
from the CLI (lab up, drill, restore, lab down) against the 60 s budget.

    PYTHONPATH=$PWD python scripts/bench_drill.py [--runs 10] [--delays 0.5,1.5,4] [--full 3] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medzen_harness.config import load_config  # noqa: E402
from medzen_harness.drill.engine import run_lab_drill  # noqa: E402
from medzen_harness.lab import Lab  # noqa: E402


def tolerance(delay: float) -> float:
    return max(0.15, 0.05 * delay)


def bench_rpo(delays: list[float], runs: int) -> list[dict]:
    config = load_config()
    rows = []
    with Lab.up(config) as lab:
        for delay in delays:
            for index in range(runs):
                result = run_lab_drill(lab, "region-outage", "af-south-1", config, replication_delay=delay).result
                error = result["rpo_seconds"] - delay
                row = {"delay": delay, "run": index + 1, "rpo": result["rpo_seconds"], "error": round(error, 3),
                       "within": abs(error) <= tolerance(delay), "rto": result["rto_seconds"],
                       "lost": result["writes"]["lost"], "in_doubt": result["writes"]["in_doubt"],
                       "steps": {s["name"]: s["seconds"] for s in result["steps"]},
                       "restore": result["restore"]["seconds"], "verdict": result["verdict"]}
                rows.append(row)
                print(f"D={delay:>4} run {index + 1:>2}: RPO {row['rpo']:.3f} s (error {error:+.3f}, "
                      f"{'ok' if row['within'] else 'OUT'}), RTO {row['rto']:.3f} s, lost {row['lost']}", flush=True)
    return rows


def bench_full(count: int) -> list[float]:
    """`medzen-harness drill` with no lab running: it starts, drills, restores and removes its own lab."""
    seconds = []
    env = dict(os.environ, MEDZEN_LAB_DIR=tempfile.mkdtemp(prefix="bench-no-lab-"))
    for _ in range(count):
        started = time.monotonic()
        completed = subprocess.run([sys.executable, "-m", "medzen_harness", "drill", "--fault", "region-outage",
                                    "--region", "af-south-1", "--replication-delay", "1.5s"],
                                   capture_output=True, text=True, env=env, timeout=300)
        seconds.append(time.monotonic() - started)
        print(f"full drill: {seconds[-1]:.1f} s, exit {completed.returncode}", flush=True)
        if completed.returncode not in (0, 1):
            print(completed.stderr, file=sys.stderr)
    return seconds


def summarize(rows: list[dict], full: list[float]) -> str:
    lines = ["| D (s) | runs within ±max(150 ms, 5 % D) | RPO median (s) | RPO min–max (s) | RTO median (s) | "
             "detection | traffic to DR | promote | endpoint serves DR | scale DR | restore (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for delay in sorted({r["delay"] for r in rows}):
        group = [r for r in rows if r["delay"] == delay]
        rpo = [r["rpo"] for r in group]

        def step(name: str, group: list[dict] = group) -> str:
            return f"{statistics.median(r['steps'][name] for r in group):.3f}"

        lines.append(f"| {delay} | {sum(r['within'] for r in group)}/{len(group)} | {statistics.median(rpo):.3f} | "
                     f"{min(rpo):.3f}–{max(rpo):.3f} | {statistics.median(r['rto'] for r in group):.3f} | "
                     f"{step('detection')} | {step('traffic to DR')} | {step('promote')} | "
                     f"{step('global endpoint serves DR')} | {step('scale DR')} | "
                     f"{statistics.median(r['restore'] for r in group):.2f} |")
    if full:
        lines.append("")
        lines.append(f"Full drill from the CLI (lab up + drill + restore + lab down), {len(full)} runs: "
                     f"median {statistics.median(full):.1f} s, max {max(full):.1f} s (budget 60 s).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--delays", default="0.5,1.5,4")
    parser.add_argument("--full", type=int, default=3, help="complete CLI drills to time")
    parser.add_argument("--json", type=Path, default=Path("reports/bench_drill.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = bench_rpo([float(d) for d in args.delays.split(",")], args.runs)
    full = bench_full(args.full)
    table = summarize(rows, full)
    print(f"\nload average before: {load_before[0]:.2f}, after: {os.getloadavg()[0]:.2f}\n")
    print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": rows, "full_drill_seconds": full, "load_before": load_before,
                                     "load_after": os.getloadavg()}, indent=2))
    ok = all(sum(r["within"] for r in rows if r["delay"] == d) >= 0.9 * args.runs for d in {r["delay"] for r in rows})
    return 0 if ok and all(s < 60 for s in full) else 1


if __name__ == "__main__":
    sys.exit(main())
