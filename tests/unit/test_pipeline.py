from medzen_harness.pipeline import (
    PhaseResult,
    overall_exit_code,
    summarize_deploy,
    summarize_drill,
    summarize_gate,
    summarize_latency,
)


def test_exit_code_policy():
    ok, finding, error = PhaseResult("a", 0, 1.0), PhaseResult("b", 1, 1.0), PhaseResult("c", 2, 1.0)
    assert overall_exit_code([ok, ok]) == 0
    assert overall_exit_code([ok, finding]) == 1
    assert overall_exit_code([finding, error]) == 2
    assert [r.status for r in (ok, finding, error)] == ["ok", "finding", "error"]


def test_summaries_read_the_contracts():
    gate = {"findings": [{"status": "passed"}, {"status": "failed"}, {"status": "unresolved"}]}
    assert summarize_gate(gate) == "2 finding(s) in 3 policy x resource checks"
    deploy = {"stacks": [{}, {}], "checks": [{"status": "passed"}, {"status": "skipped"}], "teardown": {"leftover": []}}
    assert "checks passed 1, failed 0, skipped (not emulated) 1; leftover after teardown: 0" in summarize_deploy(deploy)
    drill = {"fault": "region-outage", "region": "af-south-1", "rto_seconds": 1.234, "rpo_seconds": 0.5,
             "targets": {"rto_seconds": 900, "rpo_seconds": 300}, "verdict": "met"}
    assert summarize_drill(drill) == ("region-outage@af-south-1: RTO 1.23 s (target 900.00 s), "
                                      "RPO 0.50 s (target 300.00 s) -> met")
    latency = {"target_ms": 150, "results": [
        {"vantage": "douala", "mode": "normal", "verdict": "missed"},
        {"vantage": "nairobi", "mode": "normal", "verdict": "met"},
        {"vantage": "nairobi", "mode": "normal", "verdict": "not judged"},
        {"vantage": "cape-town", "mode": "dr", "verdict": "missed"},
        {"vantage": "cairo", "mode": "dr", "verdict": "inconclusive"}]}
    assert summarize_latency(latency) == ("p95 target 150 ms — normal: 1/2 met (missed: douala); "
                                          "dr: 0/2 met (missed: cape-town) (inconclusive, machine too noisy: cairo)")


def test_nightly_refuses_bad_config_before_starting_anything(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("targets:\n  rto_minutes: 15\n")
    out = subprocess.run([sys.executable, "-m", "medzen_harness", "nightly", "--config", str(bad),
                          "--reports-root", str(tmp_path / "reports")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "medzen-harness nightly: error: unknown config key 'targets.rto_minutes' "
        "(known here: availability, latency_ms, latency_percentile, rpo_seconds, rto_seconds)"]
    assert not (tmp_path / "reports").exists()


def test_nightly_names_a_missing_prerequisite(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MEDZEN_ALLURE_BIN": str(tmp_path / "no-allure")}
    out = subprocess.run([sys.executable, "-m", "medzen_harness", "nightly", "--reports-root", str(tmp_path / "r")],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2 and "Allure 3 is not installed" in out.stderr
    assert not (tmp_path / "r").exists()
