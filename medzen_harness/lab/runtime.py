"""The running lab, inside the lab supervisor process: two regions on 127.0.0.1.

    clients ──► HAProxy (global endpoint, health checks) ──► <region>-edge fault proxy ──► EHR API processes ──► Postgres
                                                                 af-south-1 primary ──► replication fault proxy ──► eu-west-1 standby

Every method runs on the supervisor's main thread (see supervisor.py), one at a time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError
from medzen_harness.lab import processes
from medzen_harness.lab.fault_proxy import FaultProxy
from medzen_harness.lab.haproxy import HaproxyProcess, HealthCheck, is_down
from medzen_harness.lab.postgres import PgInstance

REPLICATION_PROXY = "replication"


def edge_proxy_name(region: str) -> str:
    return f"{region}-edge"


@dataclass(frozen=True)
class LabSettings:
    primary: str = "af-south-1"
    dr: str = "eu-west-1"
    primary_processes: int = 2
    dr_processes: int = 1
    dr_full_processes: int = 4
    health_check: HealthCheck = field(default_factory=HealthCheck)
    start_timeout_seconds: float = 60.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LabSettings:
        lab = config.get("lab", {})
        return cls(
            primary=config["regions"]["primary"],
            dr=config["regions"]["dr"],
            primary_processes=int(lab.get("primary_processes", 2)),
            dr_processes=int(lab.get("dr_processes", 1)),
            dr_full_processes=int(lab.get("dr_full_processes", 4)),
            health_check=HealthCheck.from_config(lab.get("health_check", {})),
            start_timeout_seconds=float(lab.get("start_timeout_seconds", 60)),
        )

    def as_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["health_check"] = dict(vars(self.health_check))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabSettings:
        data = dict(data)
        data["health_check"] = HealthCheck(**data.get("health_check", {}))
        return cls(**data)


@dataclass
class Region:
    name: str
    db: PgInstance
    api_port_guard: socket.socket
    api: list[subprocess.Popen] = field(default_factory=list)
    edge: FaultProxy | None = None

    @property
    def api_port(self) -> int:
        return int(self.api_port_guard.getsockname()[1])


class LabRuntime:
    def __init__(self, run_dir: Path, settings: LabSettings):
        self.run_dir = run_dir
        self.settings = settings
        # Data lives in its own temp dir: the run dir's parents may not be traversable by the
        # unprivileged Postgres account (e.g. pytest's 0700 tmp dirs when running as root).
        self.data_root = Path(tempfile.mkdtemp(prefix="medzen-lab-data-"))
        self.account = processes.unprivileged_account()
        self.regions: dict[str, Region] = {}
        self.replication: FaultProxy | None = None
        self.haproxy: HaproxyProcess | None = None
        self.primary = settings.primary
        self.events: list[dict[str, Any]] = []

    # ---- start / stop --------------------------------------------------------------
    def start(self) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        os.chmod(self.data_root, 0o711)  # the unprivileged Postgres account must reach its data dir
        for name in (self.settings.primary, self.settings.dr):
            self.regions[name] = Region(name, PgInstance(name, self.data_root / name, processes.free_port(),
                                                         self.account, self.run_dir / f"postgres-{name}.log"),
                                        api_port_guard=processes.reserve_shared_port())
        primary, dr = self.regions[self.settings.primary], self.regions[self.settings.dr]
        primary.db.init_primary()
        primary.db.start(new_port_if_taken=True)
        primary.db.create_schema()
        self.replication = FaultProxy("127.0.0.1", primary.db.port, name=REPLICATION_PROXY).start()
        dr.db.init_standby(self.replication.port, dr.name)
        dr.db.start(new_port_if_taken=True)
        self._scale(primary, self.settings.primary_processes, deadline)
        self._scale(dr, self.settings.dr_processes, deadline)
        for region in self.regions.values():
            region.edge = FaultProxy("127.0.0.1", region.api_port, name=edge_proxy_name(region.name)).start()
        self.haproxy = HaproxyProcess(
            self.run_dir, processes.free_port(),
            {name: region.edge.address for name, region in self.regions.items()},
            backup=dr.name, check=self.settings.health_check)
        self.haproxy.start()
        self.wait_routing(deadline)
        self._event("lab started")

    def shutdown(self) -> None:
        """Stop everything and remove the data; never raises."""
        with contextlib.suppress(Exception):
            if self.haproxy:
                self.haproxy.stop()
        for region in self.regions.values():
            for process in region.api:
                with contextlib.suppress(Exception):
                    processes.kill_group(process)
            region.api.clear()
            with contextlib.suppress(Exception):
                region.db.kill()
            with contextlib.suppress(Exception):
                if region.edge:
                    region.edge.stop()
            region.api_port_guard.close()
        with contextlib.suppress(Exception):
            if self.replication:
                self.replication.stop()
        shutil.rmtree(self.data_root, ignore_errors=True)

    # ---- describing ----------------------------------------------------------------
    def proxies(self) -> dict[str, FaultProxy]:
        found = {name: proxy for name, proxy in ((edge_proxy_name(r.name), r.edge) for r in self.regions.values())
                 if proxy is not None}
        if self.replication is not None:
            found[REPLICATION_PROXY] = self.replication
        return found

    def state(self) -> dict[str, Any]:
        assert self.haproxy is not None
        regions = {}
        for name, region in self.regions.items():
            regions[name] = {
                "role": "primary" if name == self.primary else "standby",
                "endpoint": list(region.edge.address) if region.edge else None,
                "api_port": region.api_port,
                "api_pids": [p.pid for p in region.api if p.poll() is None],
                "db_port": region.db.port,
                "db_pid": region.db.pid,
                "db_log": str(region.db.log_path),
            }
        return {
            "primary": self.primary,
            "dr": self.settings.dr if self.primary == self.settings.primary else self.settings.primary,
            "global_endpoint": ["127.0.0.1", self.haproxy.port],
            "haproxy": {"pid": self.haproxy.process.pid if self.haproxy.process else None,
                        "admin_socket": str(self.haproxy.admin_socket), "log": str(self.haproxy.log_path),
                        "config": str(self.haproxy.config_path)},
            "replication_proxy": list(self.replication.address) if self.replication else None,
            "regions": regions,
            "data_dir": str(self.data_root),
            "run_as": self.account.name,
            "settings": self.settings.as_dict(),
        }

    def health(self) -> dict[str, Any]:
        """What runs right now: roles, processes, HAProxy states, replication."""
        assert self.haproxy is not None
        report: dict[str, Any] = {"primary": self.primary, "regions": {}, "haproxy": {}, "replication": None}
        for name, region in self.regions.items():
            entry: dict[str, Any] = {"db_running": region.db.running,
                                     "api_processes": sum(1 for p in region.api if p.poll() is None)}
            try:
                entry["in_recovery"] = region.db.in_recovery() if region.db.running else None
            except psycopg.Error as error:
                entry["in_recovery"] = None
                entry["db_error"] = str(error).strip().splitlines()[0] if str(error).strip() else "error"
            report["regions"][name] = entry
        with contextlib.suppress(OSError):
            report["haproxy"] = self.haproxy.states()
        report["replication"] = self.replication_state()
        report["proxies"] = {name: proxy.stats() for name, proxy in self.proxies().items()}
        return report

    def replication_state(self) -> dict[str, Any] | None:
        primary = self.regions[self.primary].db
        if not primary.running:
            return None
        try:
            with primary.connect("postgres", connect_timeout=1) as connection:
                row = connection.execute(
                    "SELECT application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
                    "EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication ORDER BY backend_start DESC LIMIT 1"
                ).fetchone()
        except psycopg.Error:
            return None
        if row is None:
            return {"state": "not connected"}
        return {"standby": row[0], "state": row[1], "lag_bytes": row[2], "replay_lag_seconds": row[3]}

    # ---- operations used by faults and the runbook -----------------------------------
    def region(self, name: str) -> Region:
        if name not in self.regions:
            raise HarnessError(f"the lab has no region '{name}'; it has {', '.join(self.regions)}")
        return self.regions[name]

    def proxy(self, name: str, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        proxies = self.proxies()
        if name not in proxies:
            raise HarnessError(f"the lab has no fault proxy '{name}'; it has {', '.join(proxies)}")
        if method not in ("set_latency", "set_mode", "set_bandwidth", "heal", "stats"):
            raise HarnessError(f"fault proxy method '{method}' is not allowed")
        getattr(proxies[name], method)(**kwargs)
        self._event(f"proxy {name}.{method}({kwargs})")
        return proxies[name].stats()

    def kill_database(self, region: str) -> None:
        self.region(region).db.kill()
        self._event(f"{region} database killed (SIGKILL)")

    def kill_services(self, region: str) -> None:
        target = self.region(region)
        for process in target.api:
            processes.kill_group(process)
        target.api.clear()
        self._event(f"{region} EHR API processes killed")

    def scale(self, region: str, count: int) -> float:
        started = time.monotonic()
        self._scale(self.region(region), count, started + 30.0)
        self._event(f"{region} scaled to {count} EHR API processes")
        return time.monotonic() - started

    def promote(self, region: str) -> float:
        target = self.region(region)
        if region == self.primary and not target.db.standby:
            raise HarnessError(f"{region} is already the primary")
        if not target.db.running:
            raise HarnessError(f"cannot promote {region}: its database is not running")
        seconds = target.db.promote()
        self.primary = region
        self._event(f"{region} promoted in {seconds:.3f} s")
        return seconds

    def set_server_state(self, region: str, state: str) -> None:
        assert self.haproxy is not None
        self.region(region)
        self.haproxy.set_state(region, state)
        self._event(f"haproxy {region} -> {state}")

    def server_states(self) -> dict[str, str]:
        assert self.haproxy is not None
        return self.haproxy.states()

    def fail_region(self, region: str) -> dict[str, float]:
        """A whole region outage followed by the failover, untimed by probes: the lab in DR mode."""
        if region != self.primary:
            raise HarnessError(f"{region} is not the primary region ({self.primary} is); nothing to fail over")
        dr = self.other(region)
        timings: dict[str, float] = {}
        started = time.monotonic()
        self.isolate_region(region)
        self.set_server_state(region, "maint")
        timings["promote"] = self.promote(dr)
        timings["scale"] = self.scale(dr, self.settings.dr_full_processes)
        self.wait_server_up(dr, time.monotonic() + 15)
        timings["total"] = time.monotonic() - started
        return timings

    def isolate_region(self, region: str) -> None:
        """Region outage: database and services killed, endpoint refusing, replication reset."""
        target = self.region(region)
        if self.replication:
            self.replication.set_mode("reset")  # WAL in flight dies with the region
        if target.edge:
            target.edge.set_mode("refuse")
        self.kill_database(region)
        self.kill_services(region)

    def other(self, region: str) -> str:
        return next(name for name in self.regions if name != region)

    # ---- restore ---------------------------------------------------------------------
    def restore(self) -> dict[str, float]:
        """Back to the original topology (primary region primary, DR streaming, routing as before)."""
        timings: dict[str, float] = {}
        started = time.monotonic()
        deadline = started + 90.0
        for proxy in self.proxies().values():
            proxy.heal()
        original, dr = self.regions[self.settings.primary], self.regions[self.settings.dr]
        if self.primary == original.name:
            if not original.db.running:  # crashed without failover: crash recovery of the only copy
                original.db.start()
            if not dr.db.running or not self.wait_streaming(time.monotonic() + 3.0):
                self._rebuild_standby(dr, self.replication_port(), timings)
        else:
            self._fail_back(original, dr, timings, deadline)
        step = time.monotonic()
        self._scale(original, self.settings.primary_processes, deadline)
        self._scale(dr, self.settings.dr_processes, deadline)
        timings["services"] = time.monotonic() - step
        step = time.monotonic()
        for name in self.regions:
            self.set_server_state(name, "ready")
        self.wait_routing(deadline)
        if not self.wait_streaming(deadline):
            raise HarnessError("restore: the standby is not streaming from the primary")
        if not self.wait_caught_up(deadline):  # WAL delayed before the heal is still in flight
            raise HarnessError(f"restore: the standby did not catch up: {self.replication_state()}")
        timings["routing"] = time.monotonic() - step
        timings["total"] = time.monotonic() - started
        self._event(f"restored in {timings['total']:.2f} s")
        return timings

    def replication_port(self) -> int:
        assert self.replication is not None
        return self.replication.port  # type: ignore[return-value]

    def _rebuild_standby(self, standby: Region, source_port: int, timings: dict[str, float]) -> None:
        step = time.monotonic()
        standby.db.kill()
        standby.db.init_standby(source_port, standby.name)
        standby.db.start()
        timings[f"rebuild {standby.name}"] = time.monotonic() - step
        self._event(f"{standby.name} rebuilt as standby")

    def _fail_back(self, original: Region, dr: Region, timings: dict[str, float], deadline: float) -> None:
        """The DR region is primary: rebuild the original primary from it, switch over, rebuild DR."""
        self.set_server_state(original.name, "maint")
        self._rebuild_standby(original, dr.db.port, timings)  # directly, not through the replication proxy
        step = time.monotonic()
        self.set_server_state(dr.name, "maint")  # planned switchover: writes pause here
        lsn = dr.db.current_lsn()
        original.db.wait_replayed(lsn, max(1.0, deadline - time.monotonic()))
        self.promote(original.name)
        dr.db.kill()
        timings["switchover"] = time.monotonic() - step
        self._rebuild_standby(dr, self.replication_port(), timings)

    # ---- waiting -----------------------------------------------------------------------
    def wait_streaming(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            state = self.replication_state()
            if state and state.get("state") == "streaming":
                return True
            time.sleep(0.05)
        return False

    def wait_caught_up(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            state = self.replication_state()
            if state and state.get("lag_bytes") == 0:
                return True
            time.sleep(0.05)
        return False

    def wait_server_up(self, region: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.server_states().get(region) == "UP":
                return
            time.sleep(0.05)
        raise HarnessError(f"haproxy did not mark {region} UP in time: {self.server_states()}")

    def wait_routing(self, deadline: float) -> None:
        """Primary UP and the DR (a standby, so its status is 503) DOWN: the steady state of routing."""
        while time.monotonic() < deadline:
            states = self.server_states()
            if states.get(self.primary) == "UP" and is_down(states.get(self.other(self.primary), "DOWN")):
                return
            time.sleep(0.05)
        raise HarnessError(f"haproxy routing did not settle: {self.server_states()}")

    # ---- internals ---------------------------------------------------------------------
    def _scale(self, region: Region, count: int, deadline: float) -> None:
        region.api = [p for p in region.api if p.poll() is None]
        while len(region.api) > count:
            processes.kill_group(region.api.pop())
        started = []
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        for _ in range(count - len(region.api)):
            started.append(processes.spawn(
                [sys.executable, "-m", "medzen_harness.lab.ehr_api", "--region", region.name,
                 "--port", str(region.api_port), "--db-port", str(region.db.port)],
                self.run_dir / f"ehr-api-{region.name}.log", stdout_pipe=True, env=env))
        region.api.extend(started)
        for process in started:
            processes.read_ready_line(process, deadline, f"EHR API ({region.name})",
                                      self.run_dir / f"ehr-api-{region.name}.log")

    def _event(self, text: str) -> None:
        self.events.append({"at": time.time(), "event": text})
        del self.events[:-200]
