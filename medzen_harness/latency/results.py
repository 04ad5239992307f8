"""From Locust's stored response-time histograms to result rows and verdicts.

Locust stores each response time rounded: to 1 ms below 100 ms, to 10 ms below 1 s, to
100 ms above. Percentiles are computed with Locust's own function over those stored
values, so a figure like p95 = 170 ms means "the bucket 165-175 ms": every row carries its
`resolution_ms`, and a verdict closer to the target than that resolution says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# Locust request name prefix -> the MedZen service that answers it.
SERVICE_OF_CALL = {
    "ehr_status": "ehr",
    "ehr_read": "ehr",
    "ehr_write": "ehr",
    "ai_chat": "ai",
    "meeting_create": "meetings",
}
SERVICES = ("ehr", "ai", "meetings")
_NAME = re.compile(r"^(?P<call>[a-z_]+)\[(?P<vantage>[a-z0-9-]+)\]$")


def parse_request_name(name: str) -> tuple[str, str] | None:
    """'ehr_read[douala]' -> ('ehr_read', 'douala'); None for names not of that form."""
    match = _NAME.match(name)
    if not match or match["call"] not in SERVICE_OF_CALL:
        return None
    return match["call"], match["vantage"]


def locust_percentile(counts: Mapping[int, int], fraction: float) -> int | None:
    """Locust's own percentile rule (locust.stats.calculate_response_time_percentile) over its
    stored histogram: the stored value at 0-based rank floor(n * fraction), the maximum at 1.0.

    Re-stated here because importing locust monkey-patches the harness process with gevent,
    which breaks the fault proxies' event-loop threads; a test checks both agree.
    """
    total = sum(counts.values())
    if total == 0:
        return None
    rank = int(total * fraction)
    seen = 0
    for value in sorted(counts, reverse=True):
        seen += counts[value]
        if total - seen <= rank:
            return int(value)
    return 0


def resolution_ms(value_ms: float) -> int:
    """Width of Locust's storage bucket around a stored response time."""
    if value_ms < 100:
        return 1
    if value_ms < 1000:
        return 10
    return 100


@dataclass
class Histogram:
    """Locust's stored response times: {rounded ms: count}, plus request/failure counts."""

    counts: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    failures: int = 0
    total_ms: float = 0.0  # Locust's unrounded sum of response times

    def add(self, counts: Mapping[int | str, int], requests: int, failures: int, total_ms: float = 0.0) -> None:
        for value, count in counts.items():
            key = int(value)
            self.counts[key] = self.counts.get(key, 0) + int(count)
        self.requests += requests
        self.failures += failures
        self.total_ms += total_ms

    @property
    def mean_ms(self) -> float | None:
        """Exact mean (Locust keeps the unrounded sum), unlike the percentiles."""
        return round(self.total_ms / self.samples, 2) if self.samples else None

    @property
    def samples(self) -> int:
        return sum(self.counts.values())

    def percentile(self, fraction: float) -> int | None:
        return locust_percentile(self.counts, fraction)


@dataclass(frozen=True)
class Route:
    """Where one vantage point's calls of one service go, over which round trip."""

    vantage: str
    service: str
    region: str
    rtt_ms: float
    served_by: str  # "lab EHR API", "stand-in", "aws endpoint", ...


@dataclass
class ResultRow:
    vantage: str
    region: str
    mode: str
    service: str
    rtt_ms: float
    p50_ms: int | None
    p95_ms: int | None
    p99_ms: int | None
    mean_ms: float | None
    requests: int
    failures: int
    failure_rate: float
    judged: bool
    verdict: str  # met | missed | not judged
    reason: str
    resolution_ms: int
    within_resolution: bool
    emulated: bool
    served_by: str
    calls: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def histograms_by_route(entries: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Histogram]]:
    """Group exported Locust entries by (vantage, service) -> {call: Histogram}."""
    grouped: dict[tuple[str, str], dict[str, Histogram]] = {}
    for entry in entries:
        parsed = parse_request_name(str(entry["name"]))
        if parsed is None:
            continue
        call, vantage = parsed
        calls = grouped.setdefault((vantage, SERVICE_OF_CALL[call]), {})
        histogram = calls.setdefault(call, Histogram())
        histogram.add(entry["response_times"], int(entry["num_requests"]), int(entry["num_failures"]),
                      float(entry.get("total_response_time", 0.0)))
    return grouped


def judge(p_value: int | None, failure_rate: float, requests: int, target_ms: float,
          max_failure_rate: float) -> tuple[str, str]:
    """(verdict, reason) of one judged row."""
    if requests == 0 or p_value is None:
        return "missed", "no request completed: nothing measured"
    if failure_rate > max_failure_rate:
        return "missed", f"failure rate {failure_rate:.1%} above {max_failure_rate:.1%}"
    if p_value < target_ms:
        return "met", f"{p_value} ms < {target_ms:g} ms"
    return "missed", f"{p_value} ms >= {target_ms:g} ms"


def build_rows(entries: Iterable[Mapping[str, Any]], routes: Sequence[Route], mode: str, target_ms: float,
               percentile: int, judged_services: Sequence[str], max_failure_rate: float,
               emulated: bool) -> list[ResultRow]:
    """One row per route (vantage x service, with its region), in route order."""
    grouped = histograms_by_route(entries)
    rows: list[ResultRow] = []
    for route in routes:
        calls = grouped.get((route.vantage, route.service), {})
        total = Histogram()
        for histogram in calls.values():
            total.add(histogram.counts, histogram.requests, histogram.failures, histogram.total_ms)
        p50, p95, p99 = (total.percentile(q) for q in (0.50, 0.95, 0.99))
        judged_value = total.percentile(percentile / 100)
        failure_rate = total.failures / total.requests if total.requests else 0.0
        judged = route.service in judged_services
        if judged:
            verdict, reason = judge(judged_value, failure_rate, total.requests, target_ms, max_failure_rate)
        else:
            verdict = "not judged"
            reason = (f"{route.service} is served by a {route.served_by}: the figure is the network path "
                      "plus that stand-in, not the real service" if "stand-in" in route.served_by
                      else f"{route.service} is not in latency.judged_services")
        resolution = resolution_ms(judged_value) if judged_value is not None else 1
        rows.append(ResultRow(
            vantage=route.vantage, region=route.region, mode=mode, service=route.service, rtt_ms=route.rtt_ms,
            p50_ms=p50, p95_ms=p95, p99_ms=p99, mean_ms=total.mean_ms, requests=total.requests, failures=total.failures,
            failure_rate=round(failure_rate, 4), judged=judged, verdict=verdict, reason=reason,
            resolution_ms=resolution,
            within_resolution=judged_value is not None and abs(judged_value - target_ms) < resolution,
            emulated=emulated, served_by=route.served_by,
            calls={call: {"requests": h.requests, "failures": h.failures, "p50_ms": h.percentile(0.5),
                          "p95_ms": h.percentile(0.95), "p99_ms": h.percentile(0.99)}
                   for call, h in sorted(calls.items())},
        ))
    return rows


def exit_code(rows: Sequence[ResultRow]) -> int:
    """0 when every judged row met the target, 1 when any missed."""
    return 1 if any(row.verdict == "missed" for row in rows) else 0
