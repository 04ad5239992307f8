"""Run Locust distributed on its own engine: one master, one worker per vantage point.

All Locust processes of a run share one process group (the master's) and die with the
harness (PR_SET_PDEATHSIG): the group is killed on every exit path, so no Locust process
outlives a run — also on errors, timeouts and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError

LOCUSTFILE = REPO_ROOT / "load" / "locustfile.py"
PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_SECONDS = 2
KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class WorkerSpec:
    """One worker = one vantage point, with the URL of each service it calls."""

    vantage: str
    endpoints: dict[str, str]


@dataclass(frozen=True)
class LoadShape:
    users: int
    duration_seconds: int
    spawn_rate: float
    wait_seconds: tuple[float, float] = (0.5, 1.5)
    request_timeout_seconds: float = 5.0
    startup_timeout_seconds: int = 30


@dataclass
class LocustRunResult:
    entries: list[dict[str, Any]]
    worker_count: int
    csv_files: list[Path]
    wall_seconds: float
    logs: dict[str, Path] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # in the forked child, before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def worker_env(spec: WorkerSpec, shape: LoadShape) -> dict[str, str]:
    return {
        "MEDZEN_VANTAGE": spec.vantage,
        "MEDZEN_ENDPOINTS": json.dumps(spec.endpoints, sort_keys=True),
        "MEDZEN_WAIT_MIN": f"{shape.wait_seconds[0]:g}",
        "MEDZEN_WAIT_MAX": f"{shape.wait_seconds[1]:g}",
        "MEDZEN_REQUEST_TIMEOUT": f"{shape.request_timeout_seconds:g}",
    }


def master_argv(shape: LoadShape, expect_workers: int, bind_host: str, port: int, csv_prefix: Path) -> list[str]:
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--master",
        "--master-bind-host", bind_host, "--master-bind-port", str(port),
        "--expect-workers", str(expect_workers),
        "--expect-workers-max-wait", str(shape.startup_timeout_seconds),
        "--headless", "--users", str(shape.users), "--spawn-rate", f"{shape.spawn_rate:g}",
        "--run-time", f"{shape.duration_seconds}s", "--stop-timeout", str(STOP_TIMEOUT_SECONDS),
        "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]


def worker_argv(master_host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
            "--master-host", master_host, "--master-port", str(port), "--loglevel", "WARNING"]


def remote_worker_command(spec: WorkerSpec, shape: LoadShape, master_host: str, port: int) -> str:
    """The exact shell command that runs a real vantage-point worker at its location."""
    env = " ".join(f"{key}={shlex.quote(value)}" for key, value in worker_env(spec, shape).items())
    argv = ["locust", "-f", "load/locustfile.py", "--worker", "--master-host", master_host,
            "--master-port", str(port)]
    return f"{env} {shlex.join(argv)}"


def kill_group(pgid: int) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after a grace period."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < deadline and group_alive(pgid):
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """True while any process (not a zombie) of the group exists."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


class DistributedLocust:
    """Master + workers as one process group. Use as a context manager; `run()` blocks."""

    def __init__(self, workers: Sequence[WorkerSpec], shape: LoadShape, out_dir: Path,
                 bind_host: str = "127.0.0.1", port: int | None = None, local_workers: bool = True):
        if not workers:
            raise HarnessError("no vantage point selected; pass --vantage NAME or none for all")
        self.workers = list(workers)
        self.shape = shape
        self.out_dir = Path(out_dir)
        self.bind_host = bind_host
        self.port = port or free_port()
        self.local_workers = local_workers
        self.pgid: int | None = None
        self._procs: list[subprocess.Popen] = []
        self._logs: dict[str, Path] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> DistributedLocust:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.pgid is not None:
            kill_group(self.pgid)
        for proc in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        self._procs.clear()

    def _spawn(self, label: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = self.out_dir / f"{label}.log"
        self._logs[label] = log
        with open(log, "wb") as handle:
            proc = subprocess.Popen(
                argv, cwd=REPO_ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                stdout=handle, stderr=subprocess.STDOUT,
                process_group=0 if self.pgid is None else self.pgid, preexec_fn=_die_with_parent,
            )
        self._procs.append(proc)
        if self.pgid is None:
            self.pgid = proc.pid
        return proc

    # -- the run --------------------------------------------------------------------------
    def run(self) -> LocustRunResult:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        histogram_path = self.out_dir / "histograms.json"
        csv_prefix = self.out_dir / "locust"
        started = time.monotonic()
        master = self._spawn("master", master_argv(self.shape, len(self.workers), self.bind_host, self.port,
                                                   csv_prefix),
                             {"MEDZEN_HISTOGRAM_OUT": str(histogram_path)})
        if self.local_workers:
            master_host = "127.0.0.1" if self.bind_host in ("0.0.0.0", "*") else self.bind_host
            for spec in self.workers:
                self._spawn(f"worker-{spec.vantage}", worker_argv(master_host, self.port),
                            worker_env(spec, self.shape))
        deadline = (self.shape.startup_timeout_seconds + self.shape.duration_seconds
                    + STOP_TIMEOUT_SECONDS + 30)
        try:
            code = master.wait(timeout=deadline)
        except subprocess.TimeoutExpired as error:
            raise HarnessError(f"Locust master did not finish within {deadline} s; killed it and its workers "
                               f"(see {self._logs['master']})") from error
        wall = time.monotonic() - started
        if not histogram_path.exists():
            tail = self._logs["master"].read_text(errors="replace")[-400:].strip().replace("\n", " | ")
            raise HarnessError(f"Locust master exited ({code}) without results: {tail}")
        data = json.loads(histogram_path.read_text())
        if data["worker_count"] < len(self.workers) and not data["entries"]:
            raise HarnessError(f"only {data['worker_count']} of {len(self.workers)} Locust workers connected "
                               f"within {self.shape.startup_timeout_seconds} s")
        csv_files = sorted(self.out_dir.glob("locust_*.csv"))
        return LocustRunResult(data["entries"], data["worker_count"], csv_files, wall, dict(self._logs))
