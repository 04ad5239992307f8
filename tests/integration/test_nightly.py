"""The nightly pipeline end to end, shortened (`--quick`): every phase runs for real."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.chaos.catalogue import fault_names

pytestmark = [pytest.mark.slow, pytest.mark.lab, pytest.mark.moto]


def test_quick_nightly_runs_every_phase_reports_and_cleans_up(tmp_path: Path):
    env = {**os.environ, "MEDZEN_LAB_DIR": str(tmp_path / "lab")}  # never touch another job's lab
    completed = subprocess.run(
        [sys.executable, "-m", "medzen_harness", "nightly", "--quick", "--reports-root", str(tmp_path)],
        capture_output=True, text=True, timeout=1500, env=env,
    )
    out = completed.stdout
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    summary = json.loads(next((tmp_path / "runs").glob("*/summary.json")).read_text())
    names = [phase["name"] for phase in summary]
    assert names[:2] == ["compliance gate", "deploy + verify + teardown (embedded AWS)"]
    assert [f"drill {fault}" for fault in fault_names()] == [n for n in names if n.startswith("drill ")]
    assert names[-1] == "lab down (clean-up)"
    assert all(phase["status"] in ("ok", "finding") for phase in summary), summary
    # the exit code is the summary's verdict: 1 exactly when some phase reported a finding
    assert completed.returncode == (1 if any(p["status"] == "finding" for p in summary) else 0)
    # the phases announce themselves with elapsed time, and the summary names the report
    assert ">>> compliance gate" in out and "=== MedZen nightly summary ===" in out
    report = tmp_path / "latest" / "index.html"
    assert report.exists() and f"report: {tmp_path}" in out
    drill = json.loads(next((tmp_path / "runs").glob("*/drill-region-outage.json")).read_text())
    assert drill["verdict"] == "met" and 0 < drill["rto_seconds"] < drill["targets"]["rto_seconds"]
    # nothing left running: no lab, no moto server, no locust
    status = subprocess.run([sys.executable, "-m", "medzen_harness", "lab", "status"],
                            capture_output=True, text=True, env=env)
    assert "no lab" in (status.stdout + status.stderr)
    leftovers = subprocess.run(["pgrep", "-af", f"{REPO_ROOT}/load/locustfile.py|{tmp_path}"],
                               capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", leftovers.stdout
