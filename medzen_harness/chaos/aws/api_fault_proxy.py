"""api-errors on the embedded AWS: an HTTP reverse proxy in front of the moto server that reads
the region from each request's SigV4 credential scope and answers 503 (an AWS-shaped error)
for regions marked failed, forwarding everything else unchanged. moto has no per-region fault
switch; this is it. Loopback only, bounded upstream timeout."""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from medzen_harness.errors import HarnessError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
# Credential=AKID/20260101/af-south-1/rds/aws4_request (Authorization header or X-Amz-Credential)
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
XML_REST_SERVICES = {"s3", "route53", "cloudfront"}
UNSIGNED = "unsigned"
MAX_BODY_BYTES = 256 * 1024 * 1024


def region_and_service(headers: Any, path: str) -> tuple[str, str]:
    """(region, signing service) from the SigV4 Authorization header or a presigned URL's
    X-Amz-Credential; ('unsigned', '') when the request carries neither."""
    match = CREDENTIAL_SCOPE.search(headers.get("Authorization", "") or "")
    if match is None:
        credential = parse_qs(urlsplit(path).query).get("X-Amz-Credential", [""])[0]
        match = CREDENTIAL_SCOPE.search(f"Credential={credential}")
    return (match.group(1), match.group(2)) if match else (UNSIGNED, "")


def error_response(status: int, service: str, region: str, content_type: str, target: str) -> tuple[bytes, str]:
    """An AWS-style error body botocore parses into code 'ServiceUnavailable' (or the status's
    name): JSON for JSON-protocol calls, XML for query and REST-XML services."""
    code = "ServiceUnavailable" if status == 503 else HTTPStatus(status).phrase.replace(" ", "")
    message = f"{service or 'AWS'} in {region} is unavailable (medzen-harness api-errors fault)"
    if "json" in content_type or target or (service and service not in XML_REST_SERVICES
                                            and "x-www-form-urlencoded" not in content_type):
        return json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"
    body = (f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
    return body.encode(), "text/xml"


class RegionApiFaultProxy:
    """`with RegionApiFaultProxy(aws.endpoint_url) as proxy:` point boto3 at `proxy.endpoint_url`,
    then `proxy.fail_region("af-south-1")` / `proxy.heal()`."""

    def __init__(self, upstream_endpoint_url: str, upstream_timeout_seconds: float = 30.0):
        upstream = urlsplit(upstream_endpoint_url)
        if upstream.scheme != "http" or upstream.hostname not in LOOPBACK_HOSTS or not upstream.port:
            raise HarnessError(f"the API fault proxy only fronts the embedded AWS on loopback "
                               f"(http://127.0.0.1:PORT), not {upstream_endpoint_url!r}")
        if not 0 < upstream_timeout_seconds <= 300:
            raise HarnessError("upstream_timeout_seconds must be in (0, 300]")
        self.upstream_host = upstream.hostname
        self.upstream_port = upstream.port
        self.upstream_timeout_seconds = upstream_timeout_seconds
        self._failed: dict[str, int] = {}
        self._lock = threading.Lock()
        self.forwarded: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control
    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise HarnessError("the API fault proxy is not running: call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def failed_regions(self) -> dict[str, int]:
        """{region: HTTP status answered}."""
        with self._lock:
            return dict(self._failed)

    def fail_region(self, region: str, status: int = 503) -> None:
        if not REGION_PATTERN.match(region):
            raise HarnessError(f"not an AWS region name: {region!r} (e.g. af-south-1)")
        if not 400 <= int(status) <= 599:
            raise HarnessError(f"status must be an HTTP error status 400..599, got {status}")
        with self._lock:
            self._failed[region] = int(status)

    def heal(self, region: str | None = None) -> None:
        """Stop failing `region`, or every region when None."""
        with self._lock:
            if region is None:
                self._failed.clear()
            else:
                self._failed.pop(region, None)

    def start(self) -> RegionApiFaultProxy:
        if self._server is not None:
            return self
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="api-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> RegionApiFaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- per request
    def status_for(self, region: str) -> int | None:
        with self._lock:
            return self._failed.get(region)

    def count(self, counter: Counter[str], region: str) -> None:
        with self._lock:
            counter[region] += 1


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: RegionApiFaultProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out separately: without this, +40 ms (delayed ACK)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; counters tell the story
        return

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise HarnessError("request body too large for the API fault proxy")
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        head_length = None
        for name, value in headers:
            if name.lower() == "content-length" and self.command == "HEAD":
                head_length = value  # a HEAD answer has no body but tells the length of one
            elif name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", head_length if head_length is not None else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        body = self._read_body()
        region, service = region_and_service(self.headers, self.path)
        status = self.owner.status_for(region)
        if status is not None:
            self.owner.count(self.owner.failed, region)
            error, content_type = error_response(status, service, region, self.headers.get("Content-Type", ""),
                                                 self.headers.get("X-Amz-Target", ""))
            self._answer(status, [("Content-Type", content_type), ("x-amzn-ErrorType", "ServiceUnavailable"),
                                  ("x-amzn-RequestId", str(uuid.uuid4()))], error)
            return
        upstream = http.client.HTTPConnection(self.owner.upstream_host, self.owner.upstream_port,
                                              timeout=self.owner.upstream_timeout_seconds)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            self.owner.count(self.owner.forwarded, region)
            self._answer(response.status, response.getheaders(), payload)
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle
