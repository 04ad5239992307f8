"""pytest fixtures for latency (loaded by the root conftest): run the CLI, find Locust processes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.latency.locust_run import LOCUSTFILE


def locust_processes() -> list[int]:
    """PIDs of live Locust processes running this checkout's locustfile."""
    marker = str(LOCUSTFILE).encode()
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if marker in cmdline.read_bytes():
                stat = (cmdline.parent / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    pids.append(int(cmdline.parent.name))
    return pids


def harness_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra}
    env.pop("MEDZEN_CONFIG", None)
    return env


@pytest.fixture
def run_latency(tmp_path) -> Callable[..., tuple[subprocess.CompletedProcess, dict[str, Any] | None]]:
    """Run `medzen-harness latency ARGS` (stand-in EHR backend unless told otherwise); return (proc, json)."""

    def run(*args: str, backend: str = "standin", timeout: float = 120, **env: str):
        report = tmp_path / f"latency-{len(list(tmp_path.glob('latency-*.json')))}.json"
        proc = subprocess.run([sys.executable, "-m", "medzen_harness", "latency", *args, "--json", str(report)],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                              env=harness_env(MEDZEN_LATENCY_BACKEND=backend, **env))
        return proc, (json.loads(report.read_text()) if report.exists() else None)

    return run


@pytest.fixture
def no_locust_left():
    """Fails the test if a Locust process of this checkout outlives it."""
    before = set(locust_processes())
    yield
    left = set(locust_processes()) - before
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    assert not left, f"Locust processes left behind: {sorted(left)}"
