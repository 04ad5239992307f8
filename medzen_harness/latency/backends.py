"""What the emulated vantage points talk to in embedded mode: each region's EHR API (the
lab's, or an in-memory stand-in for tests) and the per-region stand-in of AI chat and
meeting create (no lab counterpart). Only 127.0.0.1 is ever a target here."""

from __future__ import annotations

import http.client
import time
from typing import Protocol, Self

from medzen_harness.config import KNOWN_REGIONS
from medzen_harness.errors import HarnessError
from medzen_harness.latency.standin import RegionStandIn

LOOPBACK = ("127.0.0.1", "localhost")
STATUS_PATH = "/ehrbase/rest/status"


class RegionBackends(Protocol):
    """The embedded regions as the latency run needs them."""

    ehr_label: str

    def ehr_address(self, region: str) -> tuple[str, int]: ...

    def fail_region(self, region: str) -> None: ...

    def restore_region(self, region: str) -> None: ...


def http_status(host: str, port: int, method: str = "GET", path: str = STATUS_PATH,
                timeout: float = 2.0) -> int | None:
    """HTTP status of one request, or None when nothing answers."""
    if host not in LOOPBACK:
        raise HarnessError(f"embedded mode only targets loopback, got {host}")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=b"{}" if method == "POST" else None,
                           headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_for_status(host: str, port: int, accept: set[int | None], seconds: float, method: str = "GET",
                    path: str = STATUS_PATH) -> int | None:
    """Poll until the status is in `accept` (bounded); returns the last status seen."""
    deadline = time.monotonic() + seconds
    status = http_status(host, port, method, path)
    while status not in accept and time.monotonic() < deadline:
        time.sleep(0.2)
        status = http_status(host, port, method, path)
    return status


class _StandInGroup:
    """One stand-in server per region, started and stopped together (context manager)."""

    serve_ehr = False

    def __init__(self, regions: tuple[str, ...] = KNOWN_REGIONS):
        self._servers = {region: RegionStandIn(region, serve_ehr=self.serve_ehr) for region in regions}

    def __enter__(self) -> Self:
        for server in self._servers.values():
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers.values():
            server.stop()


class StandInRegions(_StandInGroup):
    """Every region's EHR API as an in-memory stand-in (tests; not the lab)."""

    ehr_label = "in-memory EHR stand-in (not the lab)"
    serve_ehr = True

    def ehr_address(self, region: str) -> tuple[str, int]:
        return "127.0.0.1", self._servers[region].port

    def fail_region(self, region: str) -> None:
        self._servers[region].set_failed(True)

    def restore_region(self, region: str) -> None:
        self._servers[region].set_failed(False)


class AppStandIns(_StandInGroup):
    """Per-region stand-in of AI chat and meeting create (context manager)."""

    label = "stand-in (no Bedrock/Chime)"

    def address(self, region: str) -> tuple[str, int]:
        return "127.0.0.1", self._servers[region].port
