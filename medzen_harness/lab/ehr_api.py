"""The EHR API stand-in of one region: the openEHR REST subset the probes use, backed by
that region's PostgreSQL.

    GET  /ehrbase/rest/status                    200 while the region's database is writable, else 503
    POST /ehrbase/rest/openehr/v1/ehr            201 + {"ehr_id": {"value": ...}}; 503 on a standby
    GET  /ehrbase/rest/openehr/v1/ehr/{ehr_id}   200 / 404 (a standby serves reads)

Run as a process: `python -m medzen_harness.lab.ehr_api --region R --port P --db-port D`.
Every process of a region binds the same port with SO_REUSEPORT, so scaling a region is
starting more processes (the kernel spreads connections over them). The process prints
`READY` on stdout once it listens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

STATUS_PATH = "/ehrbase/rest/status"
EHR_PATH = "/ehrbase/rest/openehr/v1/ehr"
_EHR_ID = re.compile(rf"^{re.escape(EHR_PATH)}/([^/?]+)$")
DB_ERRORS = (psycopg.Error,)


class ConnectionCache:
    """Idle connections kept for reuse; a broken one is dropped and a new one opened at once.

    Not psycopg_pool: its reconnection back-off (after the database was down) delays the
    first good connection by seconds once the database is back — after a failover or a
    restore that would show up as extra RTO that the real service would not have."""

    def __init__(self, conninfo: str, max_idle: int = 8):
        self.conninfo = conninfo
        self.max_idle = max_idle
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """Run one statement; a reused connection found dead is replaced and the statement retried
        once (it never reached the server), a new connection's failure is the caller's."""
        for attempt in (1, 2):
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            reused = connection is not None and not connection.closed
            if not reused:
                connection = psycopg.connect(self.conninfo, autocommit=True)
            try:
                row = connection.execute(sql, params).fetchone()
            except psycopg.OperationalError:
                connection.close()
                if reused and attempt == 1:
                    self.close()  # the server was restarted: every idle connection is stale
                    continue
                raise
            except psycopg.Error:
                self._release(connection)
                raise
            self._release(connection)
            return row
        return None  # pragma: no cover - the loop returns or raises

    def _release(self, connection: psycopg.Connection) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle and not connection.closed:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            for connection in self._idle:
                connection.close()
            self._idle.clear()


class ReusePortServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def subject_of(status: dict[str, Any]) -> tuple[str | None, str | None]:
    """(id, namespace) of an openEHR EHR_STATUS subject, if given."""
    ref = (status.get("subject") or {}).get("external_ref") or {}
    return (ref.get("id") or {}).get("value"), ref.get("namespace")


def make_handler(region: str, pool: ConnectionCache) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"medzen-ehr-lab/{region}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass  # HAProxy logs the abnormal requests; per-request lines would flood the logs

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Region", region)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _unavailable(self, error: BaseException) -> None:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self._send(503, {"error": "database unavailable", "region": region, "detail": reason})

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?", 1)[0]
            if path == STATUS_PATH:
                return self._status()
            match = _EHR_ID.match(path)
            if match:
                return self._get_ehr(match.group(1))
            self._send(404, {"error": f"no route {path}"})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.split("?", 1)[0] != EHR_PATH:
                return self._send(404, {"error": f"no route {self.path}"})
            try:
                status = json.loads(raw) if raw else {}
                if not isinstance(status, dict):
                    raise ValueError("EHR_STATUS must be a JSON object")
            except ValueError as error:
                return self._send(400, {"error": f"invalid EHR_STATUS: {error}"})
            self._create_ehr(status)

        def _status(self) -> None:
            try:
                in_recovery = pool.fetchone("SELECT pg_is_in_recovery()")[0]
            except DB_ERRORS as error:
                return self._unavailable(error)
            if in_recovery:
                return self._send(503, {"status": "read-only", "region": region,
                                        "detail": "database is a standby (serves reads only)"})
            self._send(200, {"status": "writable", "region": region})

        def _create_ehr(self, status: dict[str, Any]) -> None:
            ehr_id = str(uuid.uuid4())
            subject_id, namespace = subject_of(status)
            try:
                created = pool.fetchone(
                    "INSERT INTO ehr (ehr_id, subject_id, subject_namespace, ehr_status) "
                    "VALUES (%s, %s, %s, %s) RETURNING time_created",
                    (ehr_id, subject_id, namespace, Jsonb(status)))[0]
            except psycopg.errors.ReadOnlySqlTransaction:
                return self._send(503, {"error": "read-only: this region's database is a standby", "region": region})
            except DB_ERRORS as error:
                return self._unavailable(error)
            location = f"{EHR_PATH}/{ehr_id}"
            self._send(201, {"ehr_id": {"value": ehr_id}, "system_id": {"value": f"medzen-lab.{region}"},
                             "time_created": {"value": created.isoformat()}},
                       {"Location": location, "ETag": f'"{ehr_id}"'})

        def _get_ehr(self, ehr_id: str) -> None:
            try:
                uuid.UUID(ehr_id)
            except ValueError:
                return self._send(400, {"error": f"ehr_id {ehr_id!r} is not a UUID"})
            try:
                row = pool.fetchone(
                    "SELECT subject_id, subject_namespace, time_created, ehr_status FROM ehr WHERE ehr_id = %s",
                    (ehr_id,))
            except DB_ERRORS as error:
                return self._unavailable(error)
            if row is None:
                return self._send(404, {"error": f"EHR {ehr_id} not found", "region": region})
            self._send(200, {"ehr_id": {"value": ehr_id}, "time_created": {"value": row[2].isoformat()},
                             "ehr_status": row[3]})

    return Handler


def serve(region: str, port: int, db_port: int, max_connections: int = 8) -> None:
    conninfo = f"host=127.0.0.1 port={db_port} user=postgres dbname=ehrbase connect_timeout=1"
    pool = ConnectionCache(conninfo, max_connections)
    server = ReusePortServer(("127.0.0.1", port), make_handler(region, pool))
    print("READY", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-port", type=int, required=True)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.region, args.port, args.db_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
