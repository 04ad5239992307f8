"""Drill evidence from a synthetic run; the one-drill-per-environment lock; aws refusals."""

import subprocess
import sys

import pytest
import yaml

from medzen_harness.config import load_config
from medzen_harness.drill.aws_target import refuse_unless_allowed
from medzen_harness.drill.engine import DrillRun
from medzen_harness.drill.evidence import drill_case, drill_evidence, rpo_rows, rto_rows, summary_line
from medzen_harness.drill.lock import drill_lock
from medzen_harness.drill.measure import ACK, ERROR, Probe
from medzen_harness.drill.runbook import Step
from medzen_harness.errors import HarnessError


def _run() -> DrillRun:
    probes = [Probe("write", i, 100 + i * 0.1, 100.005 + i * 0.1, ACK if i < 20 or i > 30 else ERROR)
              for i in range(40)]
    result = {"fault": "region-outage", "region": "af-south-1", "target": "lab", "rto_seconds": 1.1,
              "rpo_seconds": 0.5, "writes": {"acknowledged": 29, "lost": 5, "in_doubt": 11, "present": 24},
              "steps": [{"name": "detection", "seconds": 0.7, "at_seconds": 0.7}],
              "targets": {"rto_seconds": 900, "rpo_seconds": 300}, "verdict": "met", "reasons": [],
              "availability": 0.7, "restore": {"verified": True}}
    return DrillRun(result, probes, [Step("detection", 0.7, 102.0, 102.7)], fault_time=102.0, started_at=100.0,
                    ended_at=104.0, logs={"haproxy.log": "Server ehr/af-south-1 is DOWN"}, present=set(range(15)))


def test_evidence_has_timeline_png_tables_probe_csv_and_logs():
    evidence = {item.name: item for item in drill_evidence(_run())}
    assert evidence["timeline"].body[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"RTO breakdown", "RPO and write counts", "probe log", "haproxy.log (excerpt)"} <= set(evidence)
    assert evidence["probe log"].body.count("\n") == 41  # header + 40 probes
    assert rto_rows(_run().result)[-1]["seconds"] == 1.1
    assert {"measure": "writes lost", "value": 5} in rpo_rows(_run().result)
    case = drill_case(_run())
    assert case.status == "met" and case.labels["epic"] == "Resilience"
    assert "RTO 1.100 s" in summary_line(_run().result)


def test_second_drill_on_the_same_environment_is_refused(tmp_path):
    with drill_lock(tmp_path / "drill.lock", "the test lab"), \
            pytest.raises(HarnessError, match="another drill is running on the test lab"), \
            drill_lock(tmp_path / "drill.lock", "the test lab"):
        pass
    with drill_lock(tmp_path / "drill.lock", "the test lab"):  # released after the first drill
        pass


@pytest.mark.parametrize(("aws", "flag", "message"), [
    ({}, True, "allowed_account_ids is empty"),
    ({"allowed_account_ids": ["123456789012"]}, True, "allow_real_failover: true"),
    ({"allowed_account_ids": ["123456789012"], "allow_real_failover": True}, False,
     "--i-understand-this-fails-over-production"),
])
def test_aws_target_refusals(aws, flag, message):
    config = load_config()
    config["aws"].update(aws)
    with pytest.raises(HarnessError, match=message):
        refuse_unless_allowed(config, flag)


def test_cli_refuses_aws_without_allow_list_and_flag(tmp_path):
    override = tmp_path / "aws.yaml"
    override.write_text(yaml.safe_dump({"aws": {"allowed_account_ids": ["123456789012"], "allow_real_failover": True}}))
    base = [sys.executable, "-m", "medzen_harness", "drill", "--fault", "region-outage", "--region", "af-south-1",
            "--target", "aws"]
    plain = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 2 and "allowed_account_ids is empty" in plain.stderr
    no_flag = subprocess.run([*base, "--config", str(override)], capture_output=True, text=True, timeout=60)
    assert no_flag.returncode == 2 and "--i-understand-this-fails-over-production" in no_flag.stderr


def test_cli_unknown_fault_and_bad_delay_are_usage_errors():
    base = [sys.executable, "-m", "medzen_harness", "drill", "--region", "af-south-1"]
    unknown = subprocess.run([*base, "--fault", "meteor"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "valid faults: api-errors, db-crash" in unknown.stderr
    delay = subprocess.run([*base, "--fault", "db-crash", "--replication-delay", "soon"], capture_output=True,
                           text=True, timeout=60)
    assert delay.returncode == 2 and "--replication-delay must be a number" in delay.stderr
    region = subprocess.run([sys.executable, "-m", "medzen_harness", "drill", "--fault", "db-crash", "--region",
                             "mars-1"], capture_output=True, text=True, timeout=60)
    assert region.returncode == 2 and "unknown region 'mars-1'" in region.stderr
