"""How long the measuring Locust worker itself was frozen during each call (emulation noise).

On a shared machine a worker process can be descheduled for 100-300 ms at a time (other
jobs, CPU storms). Every call in flight then takes that much longer, and the delay is the
*test machine's*, not the emulated network's or the service's. A worker measures it: a
timer greenlet asks to wake every TICK_SECONDS; when it wakes late, the process was frozen
from the expected to the actual wake-up (`StallClock`). Each measured call gets the time
its [start, end] overlaps those freezes; the call's time minus that overlap is a *lower
bound* of what it would have taken on a quiet client (a freeze while the answer was still
on the way did not delay it, so subtracting it may correct too much).

The harness never reports the corrected figure as the result: it uses it only to tell a
genuine miss (missed even without the client's freezes) from an inconclusive one.
Plain Python, no Locust import: loaded by load/locustfile.py, unit-tested on its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

TICK_SECONDS = 0.01
LATE_THRESHOLD_MS = 1.0  # a timer waking later than this counts as a freeze


def locust_rounded(response_time_ms: float) -> int:
    """Locust's storage rounding (locust.stats.bucket_response_time)."""
    if response_time_ms < 100:
        return round(response_time_ms)
    if response_time_ms < 1000:
        return int(round(response_time_ms, -1))
    if response_time_ms < 10000:
        return int(round(response_time_ms, -2))
    return int(round(response_time_ms, -3))


class StallClock:
    """Freeze intervals [start, end] (seconds, wall clock) of this process's event loop."""

    def __init__(self, threshold_ms: float = LATE_THRESHOLD_MS):
        self.threshold_ms = threshold_ms
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.last_tick: float | None = None

    def tick(self, expected_wake: float, actual_wake: float) -> None:
        """One timer wake-up; a late one is a freeze from `expected_wake` to `actual_wake`."""
        if (actual_wake - expected_wake) * 1000 > self.threshold_ms:
            self.starts.append(expected_wake)
            self.ends.append(actual_wake)
        self.last_tick = actual_wake

    def overlap_ms(self, start: float, end: float) -> float:
        """Milliseconds of [start, end] during which the process was frozen."""
        total = 0.0
        first = bisect.bisect_left(self.ends, start)  # intervals are appended in time order
        for index in range(first, len(self.starts)):
            if self.starts[index] >= end:
                break
            total += max(0.0, min(end, self.ends[index]) - max(start, self.starts[index]))
        return total * 1000

    def summary(self, since: float | None = None, until: float | None = None) -> dict[str, float]:
        """Freezes that began in [since, until): how many, the longest and the total, in ms."""
        lengths = [(e - s) * 1000 for s, e in zip(self.starts, self.ends, strict=True)
                   if (since is None or s >= since) and (until is None or s < until)]
        return {"count": len(lengths), "max_ms": round(max(lengths, default=0.0), 1),
                "total_ms": round(sum(lengths), 1)}


class StallFreeTimes:
    """Measured calls waiting for the clock to pass their end, then binned as Locust would,
    with the client's freezes taken out: {request name: {rounded ms: count}}."""

    def __init__(self, clock: StallClock):
        self.clock = clock
        self.pending: list[tuple[str, float, float, float]] = []
        self.histograms: dict[str, dict[int, int]] = {}

    def add(self, name: str, start: float, response_time_ms: float) -> None:
        self.pending.append((name, start, start + response_time_ms / 1000, response_time_ms))

    def resolve(self, everything: bool = False) -> None:
        """Bin the calls the clock has seen past (all of them when `everything`)."""
        horizon = self.clock.last_tick
        waiting = []
        for name, start, end, response_time in self.pending:
            if not everything and (horizon is None or end > horizon):
                waiting.append((name, start, end, response_time))
                continue
            stall_free = max(0.0, response_time - self.clock.overlap_ms(start, end))
            bucket = self.histograms.setdefault(name, {})
            key = locust_rounded(stall_free)
            bucket[key] = bucket.get(key, 0) + 1
        self.pending = waiting

    def take(self, everything: bool = False) -> dict[str, dict[int, int]]:
        """The binned calls since the last take (what a worker reports to the master)."""
        self.resolve(everything)
        taken, self.histograms = self.histograms, {}
        return taken


def merge(into: dict[str, dict[str, int]], report: dict[str, dict] | Iterable) -> None:
    """Add a worker's report {name: {ms: count}} into the master's totals (JSON keys are strings)."""
    for name, counts in dict(report).items():
        bucket = into.setdefault(name, {})
        for value, count in counts.items():
            bucket[str(value)] = bucket.get(str(value), 0) + int(count)
