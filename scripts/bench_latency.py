#!/usr/bin/env python3
"""Benchmark of the latency job (results go to the README, Performance > Latency).

  PYTHONPATH=$PWD python scripts/bench_latency.py [--users 200] [--seconds 30] [--full-seconds 60]

1. Fidelity of the emulation at N users (default 200) on the embedded lab: the five vantage
   points whose RTT to af-south-1 is below 100 ms (Locust stores those to 1 ms) are run twice
   with the same users: once with every added RTT forced to 0 (the service's own time through
   the same proxies), once with the catalogue RTTs. fidelity = p50(with RTT) - RTT - p50(RTT 0),
   per vantage point (mean likewise, from Locust's exact sums).
2. Requests per second per worker: the same run's throughput divided by the worker count, and
   one worker with no think time at RTT 0 (capacity of a worker + proxy on this machine).
3. Wall time of a full run: every vantage point, both modes, default users, --full-seconds each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

from medzen_harness.config import load_config
from medzen_harness.latency import engine
from medzen_harness.latency.lab_backend import LabRegions

FIDELITY_VANTAGES = ["cape-town", "johannesburg", "dar-es-salaam", "nairobi", "kigali"]


def ehr_rows(report: dict) -> dict[str, object]:
    return {row.vantage: row for row in report["rows"] if row.service == "ehr"}


def throughput(report: dict, seconds: int, workers: int) -> float:
    requests = sum(row.requests for row in report["rows"])
    return round(requests / seconds / workers, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--full-seconds", type=int, default=60)
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    config = load_config(None)
    out = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    results: dict[str, object] = {}
    with LabRegions(config) as lab:
        settings = engine.resolve_settings(config, FIDELITY_VANTAGES, args.users, args.seconds)
        baseline = engine.run_embedded(settings, "normal", config, lab, out / "baseline", rtt_override_ms=0)
        emulated = engine.run_embedded(settings, "normal", config, lab, out / "emulated")
        base, real = ehr_rows(baseline), ehr_rows(emulated)
        fidelity = []
        for name in FIDELITY_VANTAGES:
            b, r = base[name], real[name]
            fidelity.append({"vantage": name, "rtt_ms": r.rtt_ms, "p50_rtt0_ms": b.p50_ms, "p50_ms": r.p50_ms,
                             "fidelity_p50_ms": r.p50_ms - r.rtt_ms - b.p50_ms,
                             "mean_rtt0_ms": b.mean_ms, "mean_ms": r.mean_ms,
                             "fidelity_mean_ms": round(r.mean_ms - r.rtt_ms - b.mean_ms, 2),
                             "requests": r.requests, "failures": r.failures})
        results["fidelity"] = fidelity
        results["rps_per_worker_realistic"] = throughput(emulated, args.seconds, len(FIDELITY_VANTAGES))
        one = dataclasses.replace(settings, vantage_points=settings.vantage_points[:1],
                                  shape=dataclasses.replace(settings.shape, users=50, wait_seconds=(0.0, 0.0)))
        capacity = engine.run_embedded(one, "normal", config, lab, out / "capacity", rtt_override_ms=0)
        results["rps_one_worker_no_think_time"] = throughput(capacity, args.seconds, 1)
        if not args.skip_full:
            full = engine.resolve_settings(config, None, None, args.full_seconds)
            started = time.monotonic()
            reports = [engine.run_embedded(full, mode, config, lab, out / f"full-{mode}") for mode in engine.MODES]
            results["full_run"] = {"vantage_points": len(full.vantage_points), "users": full.shape.users,
                                   "seconds_per_mode": args.full_seconds,
                                   "wall_seconds": round(time.monotonic() - started, 1),
                                   "per_mode_wall_seconds": [r["wall_seconds"] for r in reports],
                                   "misses": {r["mode"]: [row.vantage for row in r["rows"] if row.verdict == "missed"]
                                              for r in reports}}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
