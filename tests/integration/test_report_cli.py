"""`medzen-harness report`: bad input gives one line and exit 2; --serve serves on 127.0.0.1 until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from medzen_harness import REPO_ROOT
from medzen_harness.evidence.samples import write_sample_results


def _cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medzen_harness", "report", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}, cwd=cwd)


def test_missing_results_dir_is_one_line_exit_2(tmp_path: Path):
    out = _cli("--results", str(tmp_path / "nope"), "--reports-root", str(tmp_path / "reports"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "does not exist" in out.stderr and "--alluredir" in out.stderr
    assert not (tmp_path / "reports").exists()


def test_empty_results_dir_is_one_line_exit_2(tmp_path: Path):
    (tmp_path / "results").mkdir()
    out = _cli("--results", str(tmp_path / "results"), "--reports-root", str(tmp_path / "reports"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "no Allure results" in out.stderr


def test_allure_not_installed_says_how_to_install(tmp_path: Path):
    write_sample_results(tmp_path / "results", policies=1)
    out = _cli("--results", str(tmp_path / "results"), "--reports-root", str(tmp_path / "reports"),
               env={"MEDZEN_ALLURE_BIN": str(tmp_path / "missing" / "allure")})
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "Allure 3 is not installed" in out.stderr
    assert "./dev" in out.stderr and "cd tools && npm ci" in out.stderr


def test_report_then_serve_until_ctrl_c(tmp_path: Path):
    write_sample_results(tmp_path / "results", policies=2)
    process = subprocess.Popen(
        [sys.executable, "-m", "medzen_harness", "report", "--results", "results", "--reports-root", "reports",
         "--no-history", "--serve"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        url = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not url:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("serving "):
                url = line.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.poll() is not None else url
        page = urllib.request.urlopen(url + "index.html", timeout=10).read().decode()
        assert "MedZen nightly" in page and "googletagmanager" not in page
        assert "HIPAA control index" in urllib.request.urlopen(url + "hipaa-index.html", timeout=10).read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "stopped serving" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert (tmp_path / "reports" / "latest" / "index.html").is_file()


def test_serve_on_a_busy_port_is_one_line_exit_2(tmp_path: Path):
    import socket

    write_sample_results(tmp_path / "results", policies=1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = _cli("--results", "results", "--reports-root", "reports", "--no-history", "--serve", "--port", str(port),
                   cwd=tmp_path)
    assert out.returncode == 2 and "pick a free port with --port" in out.stderr


def test_allure_failure_is_one_line_and_leaves_no_half_written_report(tmp_path: Path):
    write_sample_results(tmp_path / "results", policies=1)
    (tmp_path / "reports" / "history" / "history.jsonl").mkdir(parents=True)  # unusable history file
    out = _cli("--results", str(tmp_path / "results"), "--reports-root", str(tmp_path / "reports"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "allure generate failed" in out.stderr
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["history"]
