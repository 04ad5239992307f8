"""Drills on the real lab: RPO against the injected WAL-shipping delay, guardrails, the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from medzen_harness.config import load_config
from medzen_harness.drill.engine import run_lab_drill, steady_state
from medzen_harness.drill.runbook import DrillAborted

pytestmark = pytest.mark.lab


def test_rpo_matches_the_injected_wal_shipping_delay(lab):
    config = load_config()
    run = run_lab_drill(lab, "region-outage", "af-south-1", config, replication_delay=1.0)
    result = run.result
    assert abs(result["rpo_seconds"] - 1.0) <= 0.15, result
    assert result["writes"]["lost"] > 0  # ~10 writes in the 1 s the standby had not received
    assert result["rto_seconds"] < 10 and result["verdict"] == "met"
    assert [s["name"] for s in result["steps"]] == ["detection", "traffic to DR", "promote",
                                                   "global endpoint serves DR", "scale DR"]
    assert result["restore"]["verified"] and lab.primary_region == "af-south-1"


def test_latency_over_the_target_is_missed_and_healed(lab):
    run = run_lab_drill(lab, "latency", "af-south-1", load_config(), params={"added_ms": "200"})
    observations = run.result["observations"]
    assert run.result["verdict"] == "missed" and "exceeds the target 150 ms" in run.result["reasons"][0]
    assert 170 <= observations["observed_added_ms"] <= 260
    assert run.result["rto_seconds"] is None and run.result["rto_reason"]
    assert run.result["writes"]["lost"] == 0 and run.result["restore"]["verified"]


def test_guardrail_aborts_a_drill_over_its_maximum_duration_and_restores(lab):
    config = load_config()
    config["drill"]["max_duration_seconds"] = 1
    with pytest.raises(DrillAborted, match="maximum duration of 1 s"):
        run_lab_drill(lab, "region-outage", "af-south-1", config)
    assert steady_state(lab, 1.0).ok and lab.primary_region == "af-south-1"


class _DrFailsToo:
    """The lab, except that the DR database dies just before its promotion."""

    def __init__(self, lab):
        self._lab = lab

    def __getattr__(self, name):
        return getattr(self._lab, name)

    def promote(self, region):
        self._lab.kill_database(region)
        return self._lab.promote(region)


def test_guardrail_aborts_when_dr_fails_too_and_restores(lab):
    with pytest.raises(DrillAborted, match="DR region failed too"):
        run_lab_drill(_DrFailsToo(lab), "region-outage", "af-south-1", load_config())
    assert steady_state(lab, 1.0).ok and lab.primary_region == "af-south-1"


def test_cli_drill_json_contract_with_its_own_lab(tmp_path):
    out = tmp_path / "drill.json"
    completed = subprocess.run(
        [sys.executable, "-m", "medzen_harness", "drill", "--fault", "db-crash", "--region", "af-south-1",
         "--replication-delay", "0.5s", "--json", str(out), "--alluredir", str(tmp_path / "allure")],
        capture_output=True, text=True, timeout=120, env={"MEDZEN_LAB_DIR": str(tmp_path / "none"),
                                                          "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(out.read_text())
    assert {"fault", "region", "rto_seconds", "rpo_seconds", "writes", "steps", "targets", "verdict"} <= set(result)
    assert set(result["writes"]) >= {"acknowledged", "lost", "in_doubt", "present"}
    assert result["targets"]["rto_seconds"] == 900 and result["targets"]["rpo_seconds"] == 300
    assert all({"name", "seconds"} <= set(step) for step in result["steps"])
    assert result["verdict"] == "met" and "MET" in completed.stdout
    assert list((tmp_path / "allure").glob("*-result.json")) and list((tmp_path / "allure").glob("*.png"))


def test_sigterm_during_a_drill_leaves_no_process_port_or_directory():
    import os
    import shutil
    import signal
    import tempfile
    import time
    from pathlib import Path

    from tests.integration.test_lab import _live_processes_mentioning

    scratch = Path(tempfile.mkdtemp(prefix="medzen-sigterm-", dir="/tmp"))
    os.chmod(scratch, 0o711)  # the unprivileged Postgres account must reach the lab's data below it
    try:
        env = dict(os.environ, TMPDIR=str(scratch), MEDZEN_LAB_DIR=str(scratch / "no-shared-lab"))
        drill = subprocess.Popen([sys.executable, "-m", "medzen_harness", "drill", "--fault", "region-outage",
                                  "--region", "af-south-1", "--replication-delay", "3s"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not _live_processes_mentioning(str(scratch)) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # the lab is up and the canary is running
        assert _live_processes_mentioning(str(scratch)), "the drill never started its lab"
        drill.send_signal(signal.SIGTERM)
        _, stderr = drill.communicate(timeout=90)
        assert drill.returncode == 130, stderr
        assert "interrupted; environment restored" in stderr
        assert _live_processes_mentioning(str(scratch)) == []
        assert [p.name for p in scratch.iterdir()] == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_cli_guardrail_abort_is_exit_2_with_an_aborted_json(tmp_path):
    import yaml

    override = tmp_path / "short.yaml"
    override.write_text(yaml.safe_dump({"drill": {"max_duration_seconds": 1}}))
    out = tmp_path / "drill.json"
    completed = subprocess.run(
        [sys.executable, "-m", "medzen_harness", "drill", "--fault", "region-outage", "--region", "af-south-1",
         "--config", str(override), "--json", str(out)],
        capture_output=True, text=True, timeout=120, env={"MEDZEN_LAB_DIR": str(tmp_path / "none"),
                                                          "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "maximum duration of 1 s" in completed.stderr
    result = json.loads(out.read_text())
    assert result["verdict"] == "aborted" and "guardrail" in result["error"]
