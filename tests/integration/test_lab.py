"""The embedded lab against its real parts: Postgres streaming replication, HAProxy, EHR API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from medzen_harness.errors import HarnessError
from medzen_harness.lab import Lab
from medzen_harness.lab.client import pid_alive

pytestmark = pytest.mark.lab
EHR = "/ehrbase/rest/openehr/v1/ehr"


def _request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def _create(base: str, subject: str) -> str:
    status, body, _ = _request(base + EHR, "POST", {"subject": {"external_ref": {"id": {"value": subject},
                                                                                  "namespace": "test"}}})
    assert status == 201, body
    return body["ehr_id"]["value"]


def test_steady_state_primary_serves_dr_is_a_streaming_standby(lab: Lab):
    assert lab.server_states() == {"af-south-1": "UP", "eu-west-1": "DOWN"}
    assert _request(lab.region_endpoint("af-south-1").url + "/ehrbase/rest/status")[0] == 200
    status, body, _ = _request(lab.region_endpoint("eu-west-1").url + "/ehrbase/rest/status")
    assert (status, body["status"]) == (503, "read-only")
    replication = lab.health()["replication"]
    assert replication["state"] == "streaming" and replication["standby"] == "eu-west-1"


def test_write_through_global_endpoint_is_readable_in_dr_which_refuses_writes(lab: Lab):
    ehr_id = _create(lab.global_endpoint.url, "replicated")
    status, body, headers = _request(f"{lab.global_endpoint.url}{EHR}/{ehr_id}")
    assert status == 200 and headers["X-Region"] == "af-south-1"
    for _ in range(50):  # async replication: visible in DR within milliseconds
        status, body, headers = _request(f"{lab.region_endpoint('eu-west-1').url}{EHR}/{ehr_id}")
        if status == 200:
            break
    assert status == 200 and headers["X-Region"] == "eu-west-1"
    status, body, _ = _request(lab.region_endpoint("eu-west-1").url + EHR, "POST", {})
    assert status == 503 and "read-only" in body["error"]
    assert _request(f"{lab.global_endpoint.url}{EHR}/not-a-uuid")[0] == 400
    assert _request(f"{lab.global_endpoint.url}{EHR}/00000000-0000-0000-0000-000000000000")[0] == 404


def test_fail_region_moves_writes_to_dr_and_restore_fails_back_without_loss(steady_lab: Lab):
    lab = steady_lab
    before = _create(lab.global_endpoint.url, "before-failover")
    timings = lab.fail_region("af-south-1")
    assert lab.primary_region == "eu-west-1"
    assert lab.server_states() == {"af-south-1": "MAINT", "eu-west-1": "UP"}
    assert len(lab.refresh()["regions"]["eu-west-1"]["api_pids"]) == 4
    assert timings["promote"] < 5
    during = _create(lab.global_endpoint.url, "during-failover")
    assert _request(f"{lab.global_endpoint.url}{EHR}/{during}")[2]["X-Region"] == "eu-west-1"
    lab.restore()
    assert lab.primary_region == "af-south-1"
    assert lab.server_states() == {"af-south-1": "UP", "eu-west-1": "DOWN"}
    assert len(lab.refresh()["regions"]["eu-west-1"]["api_pids"]) == 1
    for ehr_id in (before, during):  # nothing written during the failover is lost by the fail-back
        status, _, headers = _request(f"{lab.global_endpoint.url}{EHR}/{ehr_id}")
        assert status == 200 and headers["X-Region"] == "af-south-1"
    assert lab.health()["replication"]["state"] == "streaming"


def test_unknown_region_and_proxy_are_readable_errors(lab: Lab):
    with pytest.raises(HarnessError, match="no region 'mars-1'"):
        lab.region_endpoint("mars-1")
    with pytest.raises(HarnessError, match="no fault proxy 'nope'"):
        lab.proxy("nope", "stats")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _live_processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_cli_up_status_down_leaves_no_process_port_or_directory(tmp_path):
    run_dir = tmp_path / "lab"
    env = dict(os.environ, MEDZEN_LAB_DIR=str(run_dir))
    harness = [sys.executable, "-m", "medzen_harness", "lab"]
    up = subprocess.run([*harness, "up", "--json", str(tmp_path / "state.json")], env=env, capture_output=True,
                        text=True, timeout=90)
    try:
        assert up.returncode == 0, up.stderr
        state = json.loads((tmp_path / "state.json").read_text())
        ports = [state["global_endpoint"][1]] + [r["db_port"] for r in state["regions"].values()] + \
                [r["endpoint"][1] for r in state["regions"].values()]
        assert pid_alive(state["supervisor_pid"])  # `up` returned, the lab keeps running
        assert all(_listening(port) for port in ports)
        status = subprocess.run([*harness, "status"], env=env, capture_output=True, text=True, timeout=30)
        assert "af-south-1" in status.stdout and "streaming" in status.stdout
        again = subprocess.run([*harness, "up"], env=env, capture_output=True, text=True, timeout=30)
        assert again.returncode == 2 and "already running" in again.stderr
    finally:
        down = subprocess.run([*harness, "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    assert not run_dir.exists()
    assert not any(_listening(port) for port in ports)
    assert _live_processes_mentioning(str(run_dir)) == []
    status = subprocess.run([*harness, "status"], env=env, capture_output=True, text=True, timeout=30)
    assert "no lab running" in status.stdout


def test_private_lab_stops_when_its_owner_is_killed(tmp_path):
    script = ("from medzen_harness.lab import Lab; import time, sys; lab = Lab.up(); "
              "print(lab.run_dir, flush=True); time.sleep(60)")
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        run_dir = owner.stdout.readline().strip()
        assert run_dir and _live_processes_mentioning(run_dir)
    finally:
        owner.kill()  # SIGKILL: no clean-up code runs in the owner
        owner.wait()
    for _ in range(100):
        if not _live_processes_mentioning(run_dir) and not Path(run_dir).exists():
            break
        import time
        time.sleep(0.1)
    assert _live_processes_mentioning(run_dir) == []
    assert not Path(run_dir).exists()


def test_postgres_port_taken_meanwhile_is_replaced(tmp_path):
    import shutil
    import tempfile

    from medzen_harness.lab import processes
    from medzen_harness.lab.postgres import PgInstance

    root = Path(tempfile.mkdtemp(prefix="medzen-lab-test-"))
    os.chmod(root, 0o711)
    with socket.socket() as squatter:  # another process binds the port chosen for Postgres
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        db = PgInstance("af-south-1", root / "af", taken, processes.unprivileged_account(), root / "af.log")
        try:
            db.init_primary()
            db.start(new_port_if_taken=True)
            assert db.port != taken and db.running
        finally:
            db.kill()
            shutil.rmtree(root, ignore_errors=True)
