"""Real Locust runs (master + one worker per vantage point) through real fault proxies.

The EHR API here is the in-memory stand-in (MEDZEN_LATENCY_BACKEND=standin) so these tests
need no Postgres; the lab-backed run is in tests/integration/test_latency_lab.py.
"""

import signal
import subprocess
import sys
import time

from medzen_harness import REPO_ROOT
from medzen_harness.testing.latency import harness_env, locust_processes

CONTRACT_KEYS = {"vantage", "region", "mode", "rtt_ms", "p50_ms", "p95_ms", "p99_ms", "requests", "failures"}


def test_emulated_run_tracks_the_catalogue_rtt_in_both_modes(run_latency, no_locust_left, tmp_path):
    proc, report = run_latency("--vantage", "cape-town", "--vantage", "nairobi", "--users", "6",
                               "--duration", "4", "--mode", "both", "--alluredir", str(tmp_path / "allure"))
    assert proc.returncode == 1, proc.stderr  # cape-town misses in DR (170 ms to eu-west-1)
    assert "emulated vantage points" in proc.stdout
    assert report["target_ms"] == 150 and report["emulated"] is True
    assert "emulated vantage points" in report["note"]
    rows = {(r["vantage"], r["mode"], r["service"]): r for r in report["results"]}
    for row in rows.values():
        assert set(row) >= CONTRACT_KEYS
    for key, rtt, verdict in [(("cape-town", "normal", "ehr"), 10, "met"), (("nairobi", "normal", "ehr"), 85, "met"),
                              (("cape-town", "dr", "ehr"), 170, "missed"), (("nairobi", "dr", "ehr"), 165, "missed")]:
        row = rows[key]
        assert row["rtt_ms"] == rtt
        assert row["requests"] > 0 and row["failures"] == 0
        assert rtt - row["resolution_ms"] <= row["p50_ms"] <= rtt + 25, row
        assert row["verdict"] == verdict
    assert rows[("cape-town", "dr", "ehr")]["region"] == "eu-west-1"
    assert rows[("cape-town", "normal", "ai")]["verdict"] == "not judged"
    dr_run = [run for run in report["runs"] if run["mode"] == "dr"][0]
    assert dr_run["dr"]["primary_status_after_fault"] == 503
    results = list((tmp_path / "allure").glob("*-result.json"))
    assert len(results) == 5  # 2 vantage points x 2 modes + summary
    assert list((tmp_path / "allure").glob("*-attachment.png"))


def test_unknown_vantage_is_exit_2_with_one_line(run_latency, no_locust_left):
    proc, report = run_latency("--vantage", "atlantis", "--duration", "2")
    assert proc.returncode == 2 and report is None
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown vantage point 'atlantis'" in proc.stderr


def test_zero_users_is_exit_2(run_latency, no_locust_left):
    proc, _ = run_latency("--vantage", "douala", "--users", "0", "--duration", "2")
    assert proc.returncode == 2
    assert "--users must be at least 1" in proc.stderr


def test_a_target_that_does_not_answer_is_exit_2(run_latency, no_locust_left, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    override = tmp_path / "override.yaml"
    override.write_text("latency:\n  aws:\n    workers: local\n    endpoints:\n"
                        f"      af-south-1: {{ehr: 'http://127.0.0.1:{closed_port}'}}\n")
    proc, _ = run_latency("--target", "aws", "--vantage", "douala", "--duration", "2", "--config", str(override))
    assert proc.returncode == 2
    assert "is not answering" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_interrupting_a_run_leaves_no_locust_process(no_locust_left, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "medzen_harness", "latency", "--vantage", "douala",
                             "--vantage", "lagos", "--users", "4", "--duration", "60"],
                            cwd=REPO_ROOT, env=harness_env(MEDZEN_LATENCY_BACKEND="standin"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(locust_processes()) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(locust_processes()) >= 3, "master + 2 workers never started"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert locust_processes() == []


def test_workers_that_never_connect_are_an_error_and_leave_nothing(no_locust_left, tmp_path):
    import pytest

    from medzen_harness.errors import HarnessError
    from medzen_harness.latency.locust_run import DistributedLocust, LoadShape, WorkerSpec

    shape = LoadShape(users=2, duration_seconds=2, spawn_rate=10, startup_timeout_seconds=2)
    with pytest.raises(HarnessError, match="without results|workers connected"), \
            DistributedLocust([WorkerSpec("douala", {})], shape, tmp_path, local_workers=False) as locust:
        locust.run()
    assert locust_processes() == []


def test_embedded_mode_only_targets_loopback():
    import pytest

    from medzen_harness.errors import HarnessError
    from medzen_harness.latency.backends import http_status

    with pytest.raises(HarnessError, match="loopback"):
        http_status("10.0.0.1", 80)
