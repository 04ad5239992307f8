"""`medzen-harness deploy` as a user runs it: JSON contract, exit codes, bad input."""

import json
import socket
import subprocess
import sys

import pytest
import yaml

from medzen_harness import REPO_ROOT

pytestmark = pytest.mark.moto
FIXTURE_PLAN = "tests/fixtures/deploy/plan.yaml"


def deploy(*args, env=None):
    return subprocess.run([sys.executable, "-m", "medzen_harness", "deploy", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_error_line(done):
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_deploy_verify_teardown_writes_the_json_contract(tmp_path):
    out = tmp_path / "deploy.json"
    alluredir = tmp_path / "allure"
    done = deploy("--target", "embedded", "--plan", FIXTURE_PLAN, "--teardown", "--json", str(out), "--alluredir", str(alluredir))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["target"] == "embedded"
    assert [(s["name"], s["region"]) for s in report["stacks"]][:3] == [
        ("medzen-global", "us-east-1"), ("medzen-ehrbase-primary", "af-south-1"), ("medzen-ehrbase-dr", "eu-west-1")]
    assert {set(s) >= {"name", "template", "region", "status"} for s in report["stacks"]} == {True}
    assert {set(c) == {"id", "region", "resource", "status", "reason"} for c in report["checks"]} == {True}
    assert {c["status"] for c in report["checks"]} <= {"passed", "skipped"}
    assert report["teardown"]["performed"] is True and report["teardown"]["leftover"] == []
    results = list(alluredir.glob("*-result.json"))
    assert len(results) >= len(report["checks"])
    assert "deploy: PASS" in done.stdout


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        ([{"name": "a", "template": "tests/fixtures/deploy/missing.yaml", "region": "eu-west-1"}], "not found"),
        ([{"name": "a", "template": "tests/fixtures/deploy/invalid.yaml", "region": "eu-west-1"}], "cannot be parsed"),
        ([{"name": "a", "template": "tests/fixtures/deploy/topic.yaml", "region": "sa-east-1"}], "unknown region"),
    ],
)
def test_bad_plans_exit_2_with_one_line(tmp_path, stacks, message):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"stacks": stacks}))
    assert message in one_error_line(deploy("--target", "embedded", "--plan", str(plan)))


def test_a_failing_stack_exits_2_names_the_resource_and_stops_the_server(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"stacks": [
        {"name": "medzen-ok", "template": "tests/fixtures/deploy/topic.yaml", "region": "eu-west-1"},
        {"name": "medzen-bad", "template": "tests/fixtures/deploy/failing.yaml", "region": "eu-west-1"}]}))
    port = free_port()
    line = one_error_line(deploy("--target", "embedded", "--plan", str(plan), "--port", str(port)))
    assert "medzen-bad" in line and "BrokenHandler" in line and "partial stack removed" in line
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the moto server is gone


def test_a_taken_port_exits_2():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        line = one_error_line(deploy("--target", "embedded", "--plan", FIXTURE_PLAN, "--port", str(holder.getsockname()[1])))
    assert "already taken" in line


def test_unreadable_gate_json_exits_2_before_deploying(tmp_path):
    line = one_error_line(deploy("--target", "embedded", "--plan", FIXTURE_PLAN, "--gate-json", str(tmp_path / "none.json")))
    assert "not a readable gate JSON" in line


def test_aws_target_refused_without_allow_listed_account():
    line = one_error_line(deploy("--target", "aws", "--plan", FIXTURE_PLAN))
    assert "allowed_account_ids is empty" in line


def test_aws_target_with_unreachable_endpoint_exits_2(tmp_path):
    config = tmp_path / "medzen.yaml"
    config.write_text(yaml.safe_dump({"aws": {"allowed_account_ids": ["123456789012"]}}))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MEDZEN_AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(REPO_ROOT)}
    line = one_error_line(deploy("--target", "aws", "--plan", FIXTURE_PLAN, "--config", str(config), env=env))
    assert "unreachable" in line


def test_sigterm_restores_and_exits_130():
    import signal
    import time
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "medzen_harness", "deploy", "--target", "embedded", "--teardown",
                                "--port", str(port)], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the server listens, i.e. the deploy has started
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
