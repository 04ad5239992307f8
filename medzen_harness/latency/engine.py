"""One latency run: settings -> routes -> (emulated) network -> distributed Locust -> report.

Embedded mode (`--target lab`): every worker runs on this machine and reaches each region
through its own fault proxy that adds the vantage point's catalogue round trip (RTT/2 each
way): *emulated vantage points*, and every output says so. DR mode fails the primary region
through the lab's fault machinery, checks that it really stopped answering and that the DR
region serves (writes included), measures, and restores the primary on every exit path.

Real mode (`--target aws`): explicit endpoints from the config; one worker per city
connects to this master (README has the exact command), or all workers run here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medzen_harness.errors import HarnessError
from medzen_harness.lab.fault_proxy import FaultProxy
from medzen_harness.latency.backends import AppStandIns, RegionBackends, http_status, wait_for_status
from medzen_harness.latency.locust_run import DistributedLocust, LoadShape, WorkerSpec, remote_worker_command
from medzen_harness.latency.results import SERVICES, ResultRow, Route, build_rows, exit_code
from medzen_harness.latency.vantage import VantagePoint, select_vantage_points

MODES = ("normal", "dr")
TARGETS = ("lab", "aws")
ENV_DURATION = "MEDZEN_LATENCY_DURATION"
ENV_USERS = "MEDZEN_LATENCY_USERS"
EMULATION_NOTE = ("emulated vantage points: every Locust worker runs on this machine and reaches each region "
                  "through a fault proxy that adds the catalogue's round-trip time (RTT/2 each way)")
RESOLUTION_NOTE = ("Locust stores response times rounded to 1 ms below 100 ms, 10 ms from 100 ms to 1 s, "
                   "100 ms above; percentiles are computed over those stored values (resolution_ms per row)")
FAIL_CHECK_SECONDS = 15.0
DR_READY_SECONDS = 60.0


@dataclass(frozen=True)
class RunSettings:
    vantage_points: list[VantagePoint]
    target_ms: float
    percentile: int
    shape: LoadShape
    judged_services: tuple[str, ...]
    max_failure_rate: float


def _positive_int(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise HarnessError(f"{what} must be a whole number, got {value!r}") from error
    if number <= 0:
        raise HarnessError(f"{what} must be at least 1, got {number}")
    return number


def resolve_settings(config: dict[str, Any], vantages: Sequence[str] | None = None, users: int | None = None,
                     duration_seconds: int | None = None) -> RunSettings:
    """Validated run settings: CLI values, else environment (CI), else config defaults; caps enforced."""
    latency = config["latency"]
    points = select_vantage_points(vantages)
    duration = duration_seconds if duration_seconds is not None else os.environ.get(ENV_DURATION)
    duration = _positive_int(duration if duration is not None else latency["duration_seconds"], "--duration")
    if duration > latency["max_duration_seconds"]:
        raise HarnessError(f"--duration {duration} exceeds latency.max_duration_seconds "
                           f"({latency['max_duration_seconds']}); shorten it or raise the cap in the config")
    count = users if users is not None else os.environ.get(ENV_USERS)
    count = _positive_int(count if count is not None else latency["users"], "--users")
    if count > latency["max_users"]:
        raise HarnessError(f"--users {count} exceeds latency.max_users ({latency['max_users']}); "
                           "lower it or raise the cap in the config")
    if count < len(points):
        raise HarnessError(f"--users {count} is fewer than the {len(points)} vantage points selected; "
                           f"use at least {len(points)} (one user per vantage point)")
    judged = tuple(latency["judged_services"])
    unknown = [s for s in judged if s not in SERVICES]
    if unknown:
        raise HarnessError(f"latency.judged_services has unknown service(s) {unknown}; use {list(SERVICES)}")
    wait = latency["wait_seconds"]
    shape = LoadShape(users=count, duration_seconds=duration, spawn_rate=float(latency["spawn_rate"]),
                      wait_seconds=(float(wait[0]), float(wait[1])),
                      request_timeout_seconds=float(latency["request_timeout_seconds"]),
                      startup_timeout_seconds=int(latency["startup_timeout_seconds"]))
    return RunSettings(points, float(config["targets"]["latency_ms"]),
                       int(config["targets"].get("latency_percentile", 95)), shape, judged,
                       float(latency["max_failure_rate"]))


def serving_region(service: str, mode: str, config: dict[str, Any]) -> str:
    """The region answering `service` in `mode`: DR moves what lived in the primary to the DR region."""
    if mode not in MODES:
        raise HarnessError(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
    home = config["latency"]["service_regions"][service]
    if mode == "dr" and home == config["regions"]["primary"]:
        return config["regions"]["dr"]
    return home


BORDERLINE_MARGIN_MS = 20.0


def expected_outcome(rtt_ms: float, target_ms: float, margin_ms: float = BORDERLINE_MARGIN_MS) -> str:
    """What the round trip alone predicts: 'misses' (RTT >= target), 'borderline' (within
    `margin_ms` below it: the service's own time decides), else 'meets'."""
    if rtt_ms >= target_ms:
        return "misses"
    if rtt_ms >= target_ms - margin_ms:
        return "borderline"
    return "meets"


def plan_routes(points: Sequence[VantagePoint], mode: str, config: dict[str, Any],
                served_by: Callable[[str, str], str]) -> list[Route]:
    routes = []
    for vp in points:
        for service in SERVICES:
            region = serving_region(service, mode, config)
            routes.append(Route(vp.name, service, region, vp.rtt_ms(region), served_by(service, region)))
    return routes


@contextlib.contextmanager
def primary_failed(backends: RegionBackends, config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """DR mode: fail the primary through the lab, prove it is down and the DR region serves; restore after."""
    primary, dr = config["regions"]["primary"], config["regions"]["dr"]
    evidence: dict[str, Any] = {"failed_region": primary, "serving_region": dr}
    started = time.monotonic()
    try:
        backends.fail_region(primary)
        status = wait_for_status(*backends.ehr_address(primary), accept={None, 502, 503, 504},
                                 seconds=FAIL_CHECK_SECONDS)
        if status not in (None, 502, 503, 504):
            raise HarnessError(f"{primary} still answers {status} after fail_region; the DR run would be wrong")
        evidence["primary_status_after_fault"] = status or "no answer"
        host, port = backends.ehr_address(dr)
        status = wait_for_status(host, port, accept={200}, seconds=DR_READY_SECONDS)
        write = wait_for_status(host, port, accept={200, 201}, seconds=DR_READY_SECONDS, method="POST",
                                path="/ehrbase/rest/openehr/v1/ehr")
        if status != 200 or write not in (200, 201):
            raise HarnessError(f"{dr} does not serve after {primary} failed (status {status}, write {write}); "
                               f"check the lab's DR promotion")
        evidence["dr_ready_seconds"] = round(time.monotonic() - started, 2)
        yield evidence
    finally:
        backends.restore_region(primary)


def _preflight(upstreams: dict[tuple[str, int], str]) -> None:
    """Every distinct service must answer before any Locust process starts."""
    for (host, port), service in upstreams.items():
        status = http_status(host, port) if service == "ehr" else http_status(host, port, path="/")
        if status is None or (service == "ehr" and status != 200):
            raise HarnessError(f"the {service} target {host}:{port} is not answering "
                               f"({'no answer' if status is None else status}); start the lab (`medzen-harness lab up`)")


def run_embedded(settings: RunSettings, mode: str, config: dict[str, Any], backends: RegionBackends,
                 out_dir: Path, rtt_override_ms: float | None = None) -> dict[str, Any]:
    """One mode on the embedded lab with emulated vantage points.

    `rtt_override_ms` (benchmarks only) replaces every catalogue RTT, e.g. 0 to measure the
    service's own time through the same proxies."""
    started = time.monotonic()
    with AppStandIns() as apps, contextlib.ExitStack() as stack:
        dr_evidence = stack.enter_context(primary_failed(backends, config)) if mode == "dr" else None

        def served_by(service: str, _region: str) -> str:
            return backends.ehr_label if service == "ehr" else apps.label

        routes = plan_routes(settings.vantage_points, mode, config, served_by)
        if rtt_override_ms is not None:
            routes = [dataclasses.replace(route, rtt_ms=float(rtt_override_ms)) for route in routes]
        upstreams: dict[tuple[str, int], str] = {}
        endpoints: dict[str, dict[str, str]] = {vp.name: {} for vp in settings.vantage_points}
        proxies: list[dict[str, Any]] = []
        for route in routes:
            upstream = backends.ehr_address(route.region) if route.service == "ehr" else apps.address(route.region)
            upstreams[upstream] = route.service
            proxy = stack.enter_context(FaultProxy(*upstream, name=f"{route.vantage}->{route.region}:{route.service}"))
            proxy.set_latency(upstream_ms=route.rtt_ms / 2, downstream_ms=route.rtt_ms / 2)
            endpoints[route.vantage][route.service] = f"http://127.0.0.1:{proxy.port}"
            proxies.append({"vantage": route.vantage, "service": route.service, "region": route.region,
                            "added_rtt_ms": route.rtt_ms, "proxy_port": proxy.port})
        _preflight(upstreams)
        workers = [WorkerSpec(vp.name, endpoints[vp.name]) for vp in settings.vantage_points]
        with DistributedLocust(workers, settings.shape, out_dir / mode) as locust:
            run = locust.run()
    rows = build_rows(run.entries, routes, mode, settings.target_ms, settings.percentile,
                      settings.judged_services, settings.max_failure_rate, emulated=True)
    return _mode_report(rows, run, mode, "lab", emulated=True, wall=time.monotonic() - started,
                        extra={"dr": dr_evidence, "network": proxies})


def aws_endpoints(config: dict[str, Any], mode: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Real-mode URL per service for `mode`, and the services skipped for lack of an endpoint."""
    configured = config["latency"]["aws"]["endpoints"]
    urls: dict[str, str] = {}
    skipped = []
    for service in SERVICES:
        region = serving_region(service, mode, config)
        url = (configured.get(region) or {}).get(service)
        if url:
            urls[service] = str(url).rstrip("/")
        elif service == "ehr":
            raise HarnessError(f"real mode needs latency.aws.endpoints.{region}.ehr in the config "
                               f"(the {region} EHRbase base URL); nothing is guessed")
        else:
            skipped.append({"service": service, "region": region,
                            "reason": f"skipped: no latency.aws.endpoints.{region}.{service} configured"})
    return urls, skipped


def probe_url(url: str, timeout: float) -> int | None:
    """HTTP status of GET url, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - configured endpoint
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def run_aws(settings: RunSettings, mode: str, config: dict[str, Any], out_dir: Path,
            say: Callable[[str], None]) -> dict[str, Any]:
    """One mode against real endpoints; workers at the locations (remote) or on this machine (local)."""
    started = time.monotonic()
    real = config["latency"]["aws"]
    urls, skipped = aws_endpoints(config, mode)
    status = probe_url(urls["ehr"] + "/ehrbase/rest/status", settings.shape.request_timeout_seconds)
    if status != 200:
        raise HarnessError(f"the EHR endpoint {urls['ehr']} is not answering "
                           f"({'no answer' if status is None else status}); check latency.aws.endpoints")
    routes = [r for r in plan_routes(settings.vantage_points, mode, config, lambda s, r: "aws endpoint")
              if r.service in urls]
    workers = [WorkerSpec(vp.name, urls) for vp in settings.vantage_points]
    remote = real["workers"] == "remote"
    if real["workers"] not in ("remote", "local"):
        raise HarnessError(f"latency.aws.workers must be 'remote' or 'local', got {real['workers']!r}")
    locust = DistributedLocust(workers, settings.shape, out_dir / mode,
                               bind_host=real["master_bind_host"] if remote else "127.0.0.1",
                               port=int(real["master_port"]) if remote else None, local_workers=not remote)
    if remote:
        say(f"waiting {settings.shape.startup_timeout_seconds} s for {len(workers)} workers; run at each location:")
        for spec in workers:
            say(f"  [{spec.vantage}] " + remote_worker_command(spec, settings.shape, "<this-master-address>",
                                                                locust.port))
    with locust:
        run = locust.run()
    rows = build_rows(run.entries, routes, mode, settings.target_ms, settings.percentile,
                      settings.judged_services, settings.max_failure_rate, emulated=False)
    note = ("dr routing: the DR endpoint is measured directly; the primary was not failed"
            if mode == "dr" else None)
    return _mode_report(rows, run, mode, "aws", emulated=False, wall=time.monotonic() - started,
                        extra={"skipped": skipped, "worker_location": "at each vantage point" if remote
                               else "this machine (NOT at the vantage points)", "dr_note": note})


def _mode_report(rows: list[ResultRow], run, mode: str, target: str, emulated: bool, wall: float,
                 extra: dict[str, Any]) -> dict[str, Any]:
    return {"mode": mode, "target": target, "emulated": emulated, "rows": rows,
            "csv_files": [str(p) for p in run.csv_files], "locust_wall_seconds": round(run.wall_seconds, 2),
            "wall_seconds": round(wall, 2), **extra}


def report_json(settings: RunSettings, mode_reports: Sequence[dict[str, Any]], target: str) -> dict[str, Any]:
    """The JSON contract: {"target_ms", "results": [...]} plus what makes it honest."""
    emulated = target == "lab"
    return {
        "target_ms": settings.target_ms,
        "percentile": settings.percentile,
        "target": target,
        "emulated": emulated,
        "note": EMULATION_NOTE if emulated else "real vantage points (workers at the locations or as configured)",
        "resolution": RESOLUTION_NOTE,
        "users": settings.shape.users,
        "duration_seconds": settings.shape.duration_seconds,
        "vantage_points": [vp.name for vp in settings.vantage_points],
        "results": [row.as_dict() for report in mode_reports for row in report["rows"]],
        "runs": [{k: v for k, v in report.items() if k != "rows"} for report in mode_reports],
        "verdict": "missed" if exit_code([r for rep in mode_reports for r in rep["rows"]]) else "met",
    }
