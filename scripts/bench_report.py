"""Benchmark: wall time of `generate_report` over ~500 Allure results (with history, second run).

    PYTHONPATH=$PWD python scripts/bench_report.py [--policies 496] [--runs 2]

Writes results and reports into a temporary folder; prints one line per run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from medzen_harness.evidence.report import generate_report
from medzen_harness.evidence.samples import write_sample_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=496, help="policy results (+4 fixed cases) per run")
    parser.add_argument("--runs", type=int, default=2, help="consecutive reports (history grows)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medzen-bench-report-") as work:
        root = Path(work)
        for run in range(1, args.runs + 1):
            results = root / f"results-{run}"
            sample = write_sample_results(results, policies=args.policies, run=run)
            started = time.perf_counter()
            index = generate_report(results, root / "reports")
            seconds = time.perf_counter() - started
            size_mb = index.stat().st_size / 1e6
            print(f"run {run}: {sum(sample.statuses.values())} results -> report in {seconds:.2f} s "
                  f"(index.html {size_mb:.1f} MB)")


if __name__ == "__main__":
    main()
