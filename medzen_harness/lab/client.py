"""The Python API of the embedded lab (what drills, tests and the latency job use).

    from medzen_harness.lab import Lab

    with Lab.up() as lab:                              # a private lab, removed on exit
        lab.global_endpoint.url                        # 'http://127.0.0.1:PORT' (HAProxy, failover routing)
        lab.region_endpoint("af-south-1")              # Endpoint(host, port) of one region's EHR API
        lab.fail_region("af-south-1")                  # DR mode: af-south-1 gone, eu-west-1 promoted + scaled
        lab.restore()                                  # back to the original topology, verified

    lab = Lab.attach()                                 # the lab of `medzen-harness lab up`

A lab is a supervisor process (supervisor.py) plus its children; this client talks to it
over a Unix socket and reads `state.json` in the lab's run directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError
from medzen_harness.lab import haproxy
from medzen_harness.lab.postgres import dsn
from medzen_harness.lab.runtime import REPLICATION_PROXY, LabSettings, edge_proxy_name
from medzen_harness.lab.supervisor import CONTROL_SOCKET, SETTINGS_FILE, STATE_FILE

CONTROL_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def default_run_dir() -> Path:
    """Where `lab up` keeps its lab: $MEDZEN_LAB_DIR, else /tmp/medzen-lab-<uid>."""
    return Path(os.environ.get("MEDZEN_LAB_DIR") or f"/tmp/medzen-lab-{os.getuid()}")


def read_state(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    with contextlib.suppress(OSError):
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return True


class Lab:
    """A handle on a running lab (see the module docstring)."""

    def __init__(self, run_dir: Path, state: dict[str, Any], supervisor: subprocess.Popen | None = None,
                 private: bool = False):
        self.run_dir = run_dir
        self._state = state
        self._supervisor = supervisor
        self.private = private

    # ---- lifecycle ---------------------------------------------------------------
    @classmethod
    def up(cls, config: dict[str, Any] | str | Path | None = None, run_dir: Path | None = None,
           detached: bool = False) -> Lab:
        """Start a lab and wait until it is in steady state.

        Default: a private lab in a fresh temp dir that stops when this process ends.
        `detached=True`: the lab of `lab up`, in `run_dir` (default `default_run_dir()`),
        outliving this process until `lab down` (or its maximum lifetime)."""
        if not isinstance(config, dict):
            config = load_config(config)
        lab_config = config.get("lab", {})
        if detached:
            run_dir = Path(run_dir or lab_config.get("run_dir") or default_run_dir())
            existing = read_state(run_dir)
            if existing and pid_alive(existing.get("supervisor_pid")):
                raise HarnessError(f"a lab is already running in {run_dir} (supervisor pid "
                                   f"{existing['supervisor_pid']}); run `medzen-harness lab down` first")
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(mode=0o711, parents=True)
        else:
            run_dir = Path(tempfile.mkdtemp(prefix="medzen-lab-", dir=run_dir))
        (run_dir / SETTINGS_FILE).write_text(json.dumps(LabSettings.from_config(config).as_dict()))
        argv = [sys.executable, "-m", "medzen_harness.lab.supervisor", "--run-dir", str(run_dir)]
        if detached:
            argv += ["--max-lifetime", str(float(lab_config.get("max_lifetime_seconds", 14400)))]
        else:
            argv += ["--parent-pid", str(os.getpid())]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        log = open(run_dir / "supervisor.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            supervisor = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                          start_new_session=True)
        finally:
            log.close()
        lab = cls(run_dir, {"supervisor_pid": supervisor.pid}, supervisor, private=not detached)
        timeout = float(lab_config.get("start_timeout_seconds", 60)) + 15
        try:
            lab._wait_ready(timeout)
        except BaseException:
            lab.down()
            raise
        return lab

    @classmethod
    def attach(cls, run_dir: Path | None = None) -> Lab:
        """The running lab in `run_dir` (default: the one of `lab up`)."""
        found = cls.find(run_dir)
        if found is None:
            raise HarnessError(f"no lab is running in {run_dir or default_run_dir()}; start one with "
                               "`medzen-harness lab up`")
        return found

    @classmethod
    def find(cls, run_dir: Path | None = None) -> Lab | None:
        run_dir = Path(run_dir or default_run_dir())
        state = read_state(run_dir)
        if state and state.get("ready") and pid_alive(state.get("supervisor_pid")):
            return cls(run_dir, state)
        return None

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = read_state(self.run_dir)
            if state and state.get("ready"):
                self._state = state
                return
            if state and state.get("error"):
                raise HarnessError(f"the lab failed to start: {state['error']}")
            if self._supervisor is not None and self._supervisor.poll() is not None:
                raise HarnessError(f"the lab failed to start (supervisor exit {self._supervisor.returncode}): "
                                   f"{self.log_tail()}")
            time.sleep(0.05)
        raise HarnessError(f"the lab did not start within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = (self.run_dir / "supervisor.log").read_text(errors="replace")
        except OSError:
            return "(no supervisor log)"
        return " | ".join(text.strip().splitlines()[-lines:])

    def down(self, timeout: float = 20.0) -> None:
        """Stop the lab: every process gone, every port closed, the run directory removed."""
        supervisor_pid = self._state.get("supervisor_pid")
        if pid_alive(supervisor_pid):
            try:
                self.call("shutdown", timeout=5.0)
            except (HarnessError, OSError):  # still starting (no control socket yet): SIGTERM
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(supervisor_pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(supervisor_pid) and time.monotonic() < deadline:
                if self._supervisor is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self._supervisor.wait(0.05)
                else:
                    time.sleep(0.05)
            if pid_alive(supervisor_pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(supervisor_pid, signal.SIGKILL)  # its children die with it (PDEATHSIG)
        if self._supervisor is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._supervisor.wait(5)
        kill_leftovers(self._state)
        remove_lab_dirs(self.run_dir, self._state)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # ---- what it is ----------------------------------------------------------------
    def refresh(self) -> dict[str, Any]:
        state = read_state(self.run_dir)
        if state:
            self._state = state
        return self._state

    @property
    def state(self) -> dict[str, Any]:
        return self._state

    @property
    def global_endpoint(self) -> Endpoint:
        host, port = self._state["global_endpoint"]
        return Endpoint(host, int(port))

    @property
    def regions(self) -> list[str]:
        return list(self._state["regions"])

    @property
    def primary_region(self) -> str:
        return self.refresh()["primary"]

    @property
    def dr_region(self) -> str:
        return self.refresh()["dr"]

    @property
    def settings(self) -> LabSettings:
        return LabSettings.from_dict(self._state["settings"])

    def region_endpoint(self, region: str) -> Endpoint:
        """The EHR API of one region (through that region's edge fault proxy)."""
        host, port = self._region(region)["endpoint"]
        return Endpoint(host, int(port))

    def db_port(self, region: str) -> int:
        return int(self._region(region)["db_port"])

    def db_dsn(self, region: str, **extra: object) -> str:
        return dsn(self.db_port(region), **extra)

    def postgres_log(self, region: str) -> Path:
        return Path(self._region(region)["db_log"])

    @property
    def haproxy_log(self) -> Path:
        return Path(self._state["haproxy"]["log"])

    @property
    def admin_socket(self) -> Path:
        return Path(self._state["haproxy"]["admin_socket"])

    def _region(self, region: str) -> dict[str, Any]:
        regions = self._state["regions"]
        if region not in regions:
            raise HarnessError(f"the lab has no region '{region}'; it has {', '.join(regions)}")
        return regions[region]

    # ---- operations ------------------------------------------------------------------
    def call(self, op: str, timeout: float = CONTROL_TIMEOUT_SECONDS, **args: Any) -> Any:
        """One request to the lab supervisor; a refused operation raises HarnessError."""
        path = self.run_dir / CONTROL_SOCKET
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(timeout)
                client.connect(str(path))
                client.sendall(json.dumps({"op": op, "args": args}).encode() + b"\n")
                with client.makefile("rb") as answer:
                    line = answer.readline()
        except OSError as error:
            raise HarnessError(f"the lab in {self.run_dir} does not answer ({error}); is it running? "
                               "(`medzen-harness lab status`)") from error
        if not line:
            raise HarnessError(f"the lab in {self.run_dir} closed the connection during '{op}'")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise HarnessError(reply.get("error", f"lab operation '{op}' failed"))
        return reply.get("result")

    def health(self) -> dict[str, Any]:
        return self.call("health")

    def proxy(self, name: str, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call a fault proxy method (set_latency, set_mode, set_bandwidth, heal, stats) by proxy name."""
        return self.call("proxy", name=name, method=method, kwargs=kwargs)

    def edge_proxy(self, region: str, method: str, **kwargs: Any) -> dict[str, Any]:
        self._region(region)
        return self.proxy(edge_proxy_name(region), method, **kwargs)

    def replication_proxy(self, method: str, **kwargs: Any) -> dict[str, Any]:
        return self.proxy(REPLICATION_PROXY, method, **kwargs)

    def kill_database(self, region: str) -> None:
        self.call("kill_database", region=region)

    def kill_services(self, region: str) -> None:
        self.call("kill_services", region=region)

    def isolate_region(self, region: str) -> None:
        self.call("isolate_region", region=region)

    def scale(self, region: str, processes: int) -> float:
        return float(self.call("scale", region=region, count=processes))

    def promote(self, region: str) -> float:
        return float(self.call("promote", region=region))

    def set_server_state(self, region: str, state: str) -> None:
        self.call("set_server_state", region=region, state=state)

    def server_states(self) -> dict[str, str]:
        """HAProxy's view, read straight from its admin socket (fast enough to poll)."""
        return haproxy.server_states(self.admin_socket)

    def fail_region(self, region: str) -> dict[str, float]:
        """DR mode: `region` suffers an outage and the lab fails over (promote + scale DR)."""
        return self.call("fail_region", region=region)

    def restore(self) -> dict[str, float]:
        """Heal every fault and return to the original topology (rebuilding what was lost)."""
        return self.call("restore")


def kill_leftovers(state: dict[str, Any]) -> list[int]:
    """Kill the process groups recorded in a lab state (used when the supervisor is gone)."""
    pids: list[int] = []
    haproxy_state = state.get("haproxy") or {}
    if haproxy_state.get("pid"):
        pids.append(int(haproxy_state["pid"]))
    for region in (state.get("regions") or {}).values():
        pids.extend(int(pid) for pid in region.get("api_pids") or [])
        if region.get("db_pid"):
            pids.append(int(region["db_pid"]))
    killed = []
    markers = [m for m in (state.get("run_dir"), state.get("data_dir")) if m]
    for pid in pids:
        if pid_alive(pid) and _is_lab_process(pid, markers):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


def remove_lab_dirs(run_dir: Path, state: dict[str, Any]) -> None:
    if state.get("data_dir"):
        shutil.rmtree(state["data_dir"], ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)


def _is_lab_process(pid: int, markers: list[str]) -> bool:
    """Guard against pid reuse: only kill what looks like one of our lab processes."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return any(marker in cmdline for marker in markers) or "medzen_harness.lab.ehr_api" in cmdline
