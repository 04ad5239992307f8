"""One region's PostgreSQL 15: a primary (`initdb`) or an async streaming standby
(`pg_basebackup -R`), run as an unprivileged account, reached over TCP on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from medzen_harness.errors import HarnessError
from medzen_harness.lab import processes
from medzen_harness.lab.processes import RunAs

PG_BIN_CANDIDATES = (Path("/usr/lib/postgresql/15/bin"),)
DATABASE = "ehrbase"
SUPERUSER = "postgres"

SCHEMA = """
CREATE TABLE IF NOT EXISTS ehr (
    ehr_id uuid PRIMARY KEY,
    subject_id text,
    subject_namespace text,
    time_created timestamptz NOT NULL DEFAULT clock_timestamp(),
    ehr_status jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS ehr_subject ON ehr (subject_namespace, subject_id);
"""


def pg_bin(tool: str) -> str:
    for directory in PG_BIN_CANDIDATES:
        if (directory / tool).exists():
            return str(directory / tool)
    found = shutil.which(tool)
    if found:
        return found
    raise HarnessError(f"PostgreSQL 15 tool '{tool}' not found; install Debian package postgresql-15 "
                       "(scripts/bootstrap.sh does)")


def dsn(port: int, dbname: str = DATABASE, **extra: object) -> str:
    options = {"host": "127.0.0.1", "port": port, "user": SUPERUSER, "dbname": dbname, "connect_timeout": 2, **extra}
    return " ".join(f"{key}={value}" for key, value in options.items())


def server_settings(port: int, standby: bool) -> dict[str, str]:
    """Settings passed on the command line (they override the data directory's files)."""
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": "",
        "shared_buffers": "16MB",
        "max_connections": "60",
        "wal_level": "replica",
        "max_wal_senders": "4",
        "wal_keep_size": "64MB",
        "hot_standby": "on",
        # a process kill does not lose the OS page cache: fsync is not needed for the faults
        # the lab injects, and it keeps a shared 2-core machine responsive
        "fsync": "off",
        "synchronous_commit": "on",  # off would lose acknowledged rows with no fault at all
        "wal_sender_timeout": "5s",
        "wal_receiver_timeout": "5s",
        "log_line_prefix": "%m [%p] ",
        "log_min_messages": "warning",
        "log_connections": "off",
    }
    if standby:
        # without it 1 in ~25 promotions waits 5 s for the next WAL retrieval attempt
        settings["wal_retrieve_retry_interval"] = "200ms"
    return settings


@dataclass
class PgInstance:
    region: str
    data_dir: Path
    port: int
    account: RunAs
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)
    standby: bool = False

    # ---- creation ------------------------------------------------------------------
    def init_primary(self) -> None:
        self._fresh_data_dir()
        processes.run_as([pg_bin("initdb"), "-D", str(self.data_dir), "--auth=trust", f"--username={SUPERUSER}",
                          "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                         self.account, self.log_path, timeout=60, what=f"initdb ({self.region})")
        self.standby = False

    def init_standby(self, source_port: int, application_name: str) -> None:
        """`pg_basebackup -R` from `source_port` (which may be a fault proxy in front of the primary)."""
        self._fresh_data_dir()
        conninfo = f"host=127.0.0.1 port={source_port} user={SUPERUSER} application_name={application_name}"
        processes.run_as([pg_bin("pg_basebackup"), "-d", conninfo, "-D", str(self.data_dir), "-R",
                          "-X", "stream", "--checkpoint=fast", "--no-sync"],
                         self.account, self.log_path, timeout=60, what=f"pg_basebackup ({self.region})")
        self.standby = True

    def _fresh_data_dir(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True)
        processes.give_to(self.data_dir, self.account)

    # ---- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 30.0, new_port_if_taken: bool = False) -> None:
        """Start the server; `new_port_if_taken`: when another process grabbed the port between
        choosing and binding it (free ports are picked up front), pick another, up to 3 times."""
        for attempt in range(3):
            argv = [pg_bin("postgres"), "-D", str(self.data_dir)]
            for key, value in server_settings(self.port, self.standby).items():
                argv += ["-c", f"{key}={value}"]
            log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
            self.process = processes.spawn(argv, self.log_path, self.account, cwd=self.data_dir)
            try:
                self.wait_ready(timeout)
                return
            except HarnessError:
                with open(self.log_path, "rb") as log:
                    log.seek(log_size)
                    port_taken = b"could not bind" in log.read()
                if not (new_port_if_taken and port_taken and attempt < 2):
                    raise
                processes.kill_tree(self.process)
                self.port = processes.free_port()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise HarnessError(f"postgres ({self.region}) exited while starting: {processes.tail(self.log_path, 5)}")
            try:
                with psycopg.connect(dsn(self.port, "postgres", connect_timeout=1)) as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.Error as error:
                last_error = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            time.sleep(0.05)
        raise HarnessError(f"postgres ({self.region}) not ready within {timeout:.0f} s: {last_error}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running and self.process else None

    def kill(self) -> None:
        """kill -9 of the whole instance (postmaster and backends): a crash, not a shutdown."""
        processes.kill_tree(self.process)
        self.process = None

    def stop(self) -> None:
        """Fast shutdown (SIGINT): connected standbys receive all WAL before it exits."""
        import signal

        processes.kill_group(self.process, signal.SIGINT, wait=15.0)
        self.process = None

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # ---- queries -------------------------------------------------------------------
    def connect(self, dbname: str = DATABASE, **extra: object) -> psycopg.Connection:
        return psycopg.connect(dsn(self.port, dbname, **extra), autocommit=True)

    def create_schema(self) -> None:
        with self.connect("postgres") as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                connection.execute(f"CREATE DATABASE {DATABASE}")
        with self.connect() as connection:
            connection.execute(SCHEMA)

    def in_recovery(self) -> bool:
        with self.connect("postgres", connect_timeout=1) as connection:
            return bool(connection.execute("SELECT pg_is_in_recovery()").fetchone()[0])

    def promote(self, timeout: float = 30.0) -> float:
        """`pg_promote(false)` then poll `pg_is_in_recovery()`; returns the seconds it took."""
        started = time.monotonic()
        with self.connect("postgres") as connection:
            connection.execute("SELECT pg_promote(false)")
            while connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                if time.monotonic() - started > timeout:
                    raise HarnessError(f"{self.region} still in recovery {timeout:.0f} s after pg_promote")
                time.sleep(0.005)
        self.standby = False
        return time.monotonic() - started

    def current_lsn(self) -> str:
        with self.connect("postgres") as connection:
            return str(connection.execute("SELECT pg_current_wal_lsn()").fetchone()[0])

    def wait_replayed(self, lsn: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.connect("postgres") as connection:
            while time.monotonic() < deadline:
                row = connection.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()
                if row and row[0]:
                    return
                time.sleep(0.02)
        raise HarnessError(f"{self.region} did not replay WAL up to {lsn} within {timeout:.0f} s")
