"""Child processes of the lab: started so that they die with the lab, killed by process group.

Every lab process is started by the lab supervisor's *main thread* with PR_SET_PDEATHSIG
(SIGKILL): if the supervisor itself is killed -9, the kernel kills its children too, so no
Postgres, HAProxy or API process outlives the lab. (The signal follows the thread that
forked the child, which is why only the main thread spawns.)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medzen_harness.errors import HarnessError

PR_SET_PDEATHSIG = 1
UNPRIVILEGED_USERS = ("medzen-lab", "nobody")


def _die_with_parent() -> None:  # runs in the forked child, before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass(frozen=True)
class RunAs:
    """The account lab processes run as (Postgres refuses root)."""

    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()


def unprivileged_account() -> RunAs:
    """The current user, or — when running as root — `medzen-lab` if it exists, else `nobody`."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)
    raise HarnessError("running as root and neither user 'medzen-lab' nor 'nobody' exists; "
                       "create one (useradd --system medzen-lab) — Postgres refuses to run as root")


def give_to(path: Path, account: RunAs) -> None:
    if os.geteuid() == 0 and not account.is_current:
        os.chown(path, account.uid, account.gid)


def spawn(argv: Sequence[str], log_path: Path, account: RunAs | None = None, cwd: Path | None = None,
          stdout_pipe: bool = False, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a lab process in its own process group, dying with the supervisor."""
    as_other_user = account is not None and not account.is_current
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else log,
            stderr=log,
            cwd=str(cwd) if cwd else None,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            user=account.uid if as_other_user else None,
            group=account.gid if as_other_user else None,
            extra_groups=[] if as_other_user else None,
        )
    finally:
        log.close()


def run_as(argv: Sequence[str], account: RunAs, log_path: Path, timeout: float, what: str) -> None:
    """Run a short command (initdb, pg_basebackup) as `account`; raise with the log tail on failure."""
    process = spawn(argv, log_path, account)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise HarnessError(f"{what} did not finish within {timeout:.0f} s (log: {log_path})") from None
    if code != 0:
        raise HarnessError(f"{what} failed with exit code {code}: {tail(log_path, 5)}")


def kill_group(process: subprocess.Popen | None, sig: int = signal.SIGKILL, wait: float = 5.0) -> None:
    """Signal the process group of `process` and reap it (no-op when already gone)."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(wait)
    if process.stdout is not None:
        process.stdout.close()


def children_of(pid: int) -> list[int]:
    """Direct children of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def kill_tree(process: subprocess.Popen | None) -> None:
    """SIGKILL a process and its direct children at once. Postgres backends call setsid(), so a
    process-group kill reaches only the postmaster and the backends would live on for a moment —
    long enough to commit a write after the "crash". Stopped first so that it cannot fork."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(process.pid, signal.SIGSTOP)
    for child in children_of(process.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)
    kill_group(process)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (for servers that need their port up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reserve_shared_port() -> socket.socket:
    """A port for a group of SO_REUSEPORT listeners (the EHR API processes of one region), held
    by a bound, non-listening SO_REUSEPORT socket for the lab's lifetime: no other process can
    take it meanwhile, and no other lab can join the group by chance (which SO_REUSEPORT would
    silently allow for a port picked with free_port())."""
    guard = socket.socket()
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    guard.bind(("127.0.0.1", 0))
    return guard


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise HarnessError(f"{what or 'process'} exited with code {process.returncode} while starting")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise HarnessError(f"{what or 'process'} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for_port_file(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise HarnessError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.02)


def read_ready_line(process: subprocess.Popen, deadline: float, what: str, log_path: Path | None = None) -> None:
    """Wait for a child's `READY` line on its stdout pipe (bounded by `deadline`, monotonic)."""
    import select

    assert process.stdout is not None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HarnessError(f"{what} did not report READY in time")
        readable, _, _ = select.select([process.stdout], [], [], min(remaining, 0.2))
        if readable:
            line = process.stdout.readline()
            if line.strip() == b"READY":
                process.stdout.close()
                process.stdout = None
                return
            if not line and process.poll() is not None:
                raise HarnessError(f"{what} exited with code {process.returncode} while starting: "
                                   f"{tail(log_path, 3) if log_path else ''}")
        elif process.poll() is not None:
            raise HarnessError(f"{what} exited with code {process.returncode} while starting: "
                               f"{tail(log_path, 3) if log_path else ''}")
