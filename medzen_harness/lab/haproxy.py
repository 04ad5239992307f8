"""The global endpoint (the lab's Route 53 failover record): HAProxy 2.6 as a child process
with an active HTTP health check on the EHR status path, the primary region's server and
the DR region's server as `backup`, and an admin socket for reading and changing states."""

from __future__ import annotations

import csv
import io
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medzen_harness.errors import HarnessError
from medzen_harness.lab import processes
from medzen_harness.lab.ehr_api import STATUS_PATH

BACKEND = "ehr"


@dataclass(frozen=True)
class HealthCheck:
    inter_ms: int = 500
    fastinter_ms: int = 200
    downinter_ms: int = 200
    fall: int = 2
    rise: int = 1
    timeout_ms: int = 500

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> HealthCheck:
        return cls(**{key: int(value) for key, value in section.items()})


def render_config(port: int, servers: dict[str, tuple[str, int]], backup: str, admin_socket: Path,
                  check: HealthCheck) -> str:
    """haproxy.cfg: `servers` maps region → (host, port); `backup` names the DR region."""
    lines = [
        "global",
        f"    stats socket {admin_socket} mode 600 level admin",
        "    maxconn 4096",
        "    log stdout format raw local0 info",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlog-normal",  # only errors and state changes: the excerpts auditors read
        "    timeout connect 500ms",
        "    timeout client 10s",
        "    timeout server 5s",
        f"    timeout check {check.timeout_ms}ms",
        "frontend global_ehr",
        f"    bind 127.0.0.1:{port}",
        f"    default_backend {BACKEND}",
        f"backend {BACKEND}",
        f"    option httpchk GET {STATUS_PATH}",
        "    http-check expect status 200",
        f"    default-server inter {check.inter_ms}ms fastinter {check.fastinter_ms}ms "
        f"downinter {check.downinter_ms}ms fall {check.fall} rise {check.rise} on-marked-down shutdown-sessions",
    ]
    for region, (host, server_port) in servers.items():
        lines.append(f"    server {region} {host}:{server_port} check" + (" backup" if region == backup else ""))
    return "\n".join(lines) + "\n"


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise HarnessError("haproxy not found; install the Debian package haproxy (scripts/bootstrap.sh does)")
    return found


def admin_command(admin_socket: Path, command: str, timeout: float = 2.0) -> str:
    """Send one command to the HAProxy admin socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(str(admin_socket))
        client.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def parse_show_stat(text: str) -> dict[str, dict[str, str]]:
    """`show stat` CSV → {server name: row} for the servers of the EHR backend."""
    body = text.lstrip("# ")
    rows = csv.DictReader(io.StringIO(body))
    return {row["svname"]: row for row in rows
            if row.get("pxname") == BACKEND and row.get("svname") not in ("FRONTEND", "BACKEND")}


def server_states(admin_socket: Path) -> dict[str, str]:
    """Region → HAProxy status ("UP", "DOWN", "MAINT", "UP 1/2", ...)."""
    return {name: row["status"] for name, row in parse_show_stat(admin_command(admin_socket, "show stat")).items()}


def is_down(status: str) -> bool:
    return status.startswith("DOWN") or "MAINT" in status


@dataclass
class HaproxyProcess:
    run_dir: Path
    port: int
    servers: dict[str, tuple[str, int]]
    backup: str
    check: HealthCheck = field(default_factory=HealthCheck)
    process: subprocess.Popen | None = None

    @property
    def admin_socket(self) -> Path:
        return self.run_dir / "haproxy.sock"

    @property
    def config_path(self) -> Path:
        return self.run_dir / "haproxy.cfg"

    @property
    def log_path(self) -> Path:
        return self.run_dir / "haproxy.log"

    def start(self, timeout: float = 10.0) -> None:
        self.config_path.write_text(render_config(self.port, self.servers, self.backup, self.admin_socket, self.check))
        binary = haproxy_binary()
        checked = subprocess.run([binary, "-c", "-q", "-f", str(self.config_path)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise HarnessError(f"haproxy rejected its config: {(checked.stderr or checked.stdout).strip()[:300]}")
        self.process = processes.spawn([binary, "-db", "-f", str(self.config_path)], self.log_path,
                                       stdout_pipe=False)
        # stdout (the log target) goes to the same file as stderr
        processes.wait_for_port(self.port, timeout, self.process, "haproxy")
        processes.wait_for_port_file(self.admin_socket, timeout)

    def command(self, command: str) -> str:
        return admin_command(self.admin_socket, command)

    def set_state(self, region: str, state: str) -> None:
        """`set server ehr/<region> state ready|drain|maint`."""
        if state not in ("ready", "drain", "maint"):
            raise HarnessError(f"unknown HAProxy server state '{state}'; use ready, drain or maint")
        answer = self.command(f"set server {BACKEND}/{region} state {state}").strip()
        if answer:
            raise HarnessError(f"haproxy refused 'set server {BACKEND}/{region} state {state}': {answer}")

    def states(self) -> dict[str, str]:
        return server_states(self.admin_socket)

    def stop(self) -> None:
        import signal

        processes.kill_group(self.process, signal.SIGTERM, wait=3.0)
        self.process = None
