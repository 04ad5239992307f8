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
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

STATUS_PATH = "/ehrbase/rest/status"
EHR_PATH = "/ehrbase/rest/openehr/v1/ehr"
_EHR_ID = re.compile(rf"^{re.escape(EHR_PATH)}/([^/?]+)$")
DB_ERRORS = (psycopg.Error, PoolTimeout)


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


def make_handler(region: str, pool: ConnectionPool) -> type[BaseHTTPRequestHandler]:
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
                with pool.connection() as connection:
                    in_recovery = connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]
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
                with pool.connection() as connection:
                    created = connection.execute(
                        "INSERT INTO ehr (ehr_id, subject_id, subject_namespace, ehr_status) "
                        "VALUES (%s, %s, %s, %s) RETURNING time_created",
                        (ehr_id, subject_id, namespace, Jsonb(status)),
                    ).fetchone()[0]
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
                with pool.connection() as connection:
                    row = connection.execute(
                        "SELECT subject_id, subject_namespace, time_created, ehr_status FROM ehr WHERE ehr_id = %s",
                        (ehr_id,)).fetchone()
            except DB_ERRORS as error:
                return self._unavailable(error)
            if row is None:
                return self._send(404, {"error": f"EHR {ehr_id} not found", "region": region})
            self._send(200, {"ehr_id": {"value": ehr_id}, "time_created": {"value": row[2].isoformat()},
                             "ehr_status": row[3]})

    return Handler


def serve(region: str, port: int, db_port: int, max_connections: int = 8) -> None:
    conninfo = f"host=127.0.0.1 port={db_port} user=postgres dbname=ehrbase connect_timeout=1"
    # check_connection: a pooled connection to a database that was restarted (failover,
    # restore) is replaced before use instead of failing one request per stale connection
    pool = ConnectionPool(conninfo, min_size=1, max_size=max_connections, timeout=1.0, open=False,
                          kwargs={"autocommit": True}, reconnect_timeout=3600,
                          check=ConnectionPool.check_connection)
    pool.open(wait=False)
    server = ReusePortServer(("127.0.0.1", port), make_handler(region, pool))
    print("READY", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close(timeout=1)


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
