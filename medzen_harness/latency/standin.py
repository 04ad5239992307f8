"""A tiny per-region HTTP stand-in for the calls the embedded lab does not serve.

The lab emulates EHRbase (EHR API backed by PostgreSQL). MedZen's AI chat (API Gateway +
Lambda + Bedrock) and meeting create (Lambda + Chime SDK) have no lab counterpart, so the
latency run serves `POST /ai/chat` and `POST /meetings` from this stand-in, one per region,
behind the same emulated network path. Results for those calls measure the *network path
and this stand-in* only, never Bedrock or Chime: every output labels them "stand-in".

It can also answer the EHR paths (`/ehrbase/rest/status`, create/read EHR) in memory: tests
use that to exercise the Locust orchestration without the lab.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EHR_PREFIX = "/ehrbase/rest"
STANDIN_SERVICES = ("ai", "meetings")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like an ALB
    disable_nagle_algorithm = True  # headers and body are two writes: no Nagle/delayed-ACK stall
    server: _StandInServer

    def log_message(self, *_args: object) -> None:  # quiet
        return

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-MedZen-Region", self.server.region)
        self.send_header("X-MedZen-Served-By", "latency-stand-in")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._drain()
        if self.server.failed:
            self._send(503, {"error": f"{self.server.region} is failed"})
            return
        if self.server.serve_ehr and self.path == f"{EHR_PREFIX}/status":
            self._send(200, {"status": "UP", "region": self.server.region, "stand_in": True})
            return
        prefix = f"{EHR_PREFIX}/openehr/v1/ehr/"
        if self.server.serve_ehr and self.path.startswith(prefix):
            ehr_id = self.path[len(prefix):]
            with self.server.lock:
                known = ehr_id in self.server.ehrs
            if known:
                self._send(200, {"ehr_id": {"value": ehr_id}, "system_id": {"value": self.server.region}})
            else:
                self._send(404, {"error": f"EHR {ehr_id} not found"})
            return
        self._send(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self._drain()
        if self.server.failed:
            self._send(503, {"error": f"{self.server.region} is failed"})
            return
        if self.server.serve_ehr and self.path == f"{EHR_PREFIX}/openehr/v1/ehr":
            ehr_id = str(uuid.uuid4())
            with self.server.lock:
                self.server.ehrs.add(ehr_id)
            self._send(201, {"ehr_id": {"value": ehr_id}},
                       {"Location": f"{EHR_PREFIX}/openehr/v1/ehr/{ehr_id}", "ETag": f'"{ehr_id}"'})
        elif self.path == "/ai/chat":
            self._send(200, {"reply": "stand-in answer (no Bedrock call)", "region": self.server.region,
                             "stand_in": True})
        elif self.path == "/meetings":
            self._send(201, {"meeting_id": str(uuid.uuid4()), "region": self.server.region, "stand_in": True})
        else:
            self._send(404, {"error": f"no route {self.path}"})


class _StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, region: str, serve_ehr: bool):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.region = region
        self.serve_ehr = serve_ehr
        self.ehrs: set[str] = set()
        self.lock = threading.Lock()
        self.failed = False  # answer 503 to everything, like a region whose database is gone

    def handle_error(self, request: object, client_address: object) -> None:
        # Locust closes keep-alive connections at the end of a run: a reset peer is normal
        # here, and a traceback per connection would bury the run's real output.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class RegionStandIn:
    """One region's stand-in HTTP service on 127.0.0.1 (context manager)."""

    def __init__(self, region: str, serve_ehr: bool = False):
        self.region = region
        self.serve_ehr = serve_ehr
        self._server: _StandInServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("stand-in not started")
        return self._server.server_address[1]

    def start(self) -> RegionStandIn:
        self._server = _StandInServer(self.region, self.serve_ehr)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"stand-in {self.region}", daemon=True)
        self._thread.start()
        return self

    def set_failed(self, failed: bool) -> None:
        if self._server is None:
            raise RuntimeError("stand-in not started")
        self._server.failed = failed

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> RegionStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
