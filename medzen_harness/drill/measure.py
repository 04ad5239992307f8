"""RTO, RPO, write accounting, availability and verdicts from a probe log — pure functions.

Definitions (issue 4):
- RTO = time of the first acknowledged write *sent* through the global endpoint once the
  fault is in effect − fault time (the moment the injection started).
- RPO = fault time − client timestamp of the newest acknowledged write (sent before the
  fault) that is present on the recovered primary; 0 when no acknowledged write is lost.
  Its resolution is the canary interval: the newest surviving write is at most one interval
  older than the true recovery point.
- acknowledged = writes answered 201; present/lost = acknowledged and found/not found on
  the recovered primary; in doubt = every write without an acknowledgement (error or
  timeout): it may or may not have committed, found or not.
- availability = acknowledged / sent, over the writes sent in the window.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

ACK = "ack"
ERROR = "error"
TIMEOUT = "timeout"


@dataclass(frozen=True)
class Probe:
    """One canary request and its outcome (times are client wall-clock seconds, time.time())."""

    kind: str  # "write" | "read"
    seq: int
    sent_at: float
    finished_at: float
    outcome: str  # ack | error | timeout
    status: int | None = None
    region: str | None = None  # the X-Region that answered
    ehr_id: str | None = None
    detail: str = ""

    @property
    def latency_ms(self) -> float:
        return (self.finished_at - self.sent_at) * 1000.0

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["latency_ms"] = round(self.latency_ms, 2)
        return row


@dataclass(frozen=True)
class WriteCounts:
    sent: int
    acknowledged: int
    present: int
    lost: int
    in_doubt: int
    in_doubt_present: int

    def contract(self) -> dict[str, int]:
        """The drill JSON's `writes` object (plus the extra counts)."""
        return asdict(self)


def writes(probes: Iterable[Probe]) -> list[Probe]:
    return sorted((p for p in probes if p.kind == "write"), key=lambda p: (p.sent_at, p.seq))


def first_acknowledged_write(probes: Iterable[Probe], after: float) -> Probe | None:
    for probe in writes(probes):
        if probe.sent_at >= after and probe.outcome == ACK:
            return probe
    return None


def rto_seconds(probes: Iterable[Probe], fault_time: float, in_effect_at: float | None = None) -> float | None:
    """First acknowledged write sent once the fault was in effect (`in_effect_at`, default the
    fault time), its acknowledgement time − fault time; None when none was acknowledged."""
    first = first_acknowledged_write(probes, fault_time if in_effect_at is None else in_effect_at)
    return None if first is None else max(0.0, first.finished_at - fault_time)


def count_writes(probes: Iterable[Probe], present_seqs: set[int]) -> WriteCounts:
    all_writes = writes(probes)
    acknowledged = [p for p in all_writes if p.outcome == ACK]
    unacknowledged = [p for p in all_writes if p.outcome != ACK]
    present = sum(1 for p in acknowledged if p.seq in present_seqs)
    return WriteCounts(
        sent=len(all_writes),
        acknowledged=len(acknowledged),
        present=present,
        lost=len(acknowledged) - present,
        in_doubt=len(unacknowledged),
        in_doubt_present=sum(1 for p in unacknowledged if p.seq in present_seqs),
    )


def lost_writes(probes: Iterable[Probe], present_seqs: set[int]) -> list[Probe]:
    return [p for p in writes(probes) if p.outcome == ACK and p.seq not in present_seqs]


def rpo_seconds(probes: Iterable[Probe], present_seqs: set[int], fault_time: float) -> float:
    """Fault time − client timestamp of the newest acknowledged write present on the recovered
    primary, among writes sent before the fault; 0.0 when no acknowledged write was lost."""
    before = [p for p in writes(probes) if p.outcome == ACK and p.sent_at < fault_time]
    if not any(p.seq not in present_seqs for p in before):
        return 0.0
    surviving = [p.sent_at for p in before if p.seq in present_seqs]
    if not surviving:  # everything acknowledged before the fault is gone
        return fault_time - min(p.sent_at for p in before)
    return fault_time - max(surviving)


def availability(probes: Iterable[Probe], start: float, end: float) -> float | None:
    """Share of writes sent in [start, end] that were acknowledged (None without writes)."""
    window = [p for p in writes(probes) if start <= p.sent_at <= end]
    if not window:
        return None
    return sum(1 for p in window if p.outcome == ACK) / len(window)


def outage_seconds(probes: Iterable[Probe], start: float, end: float) -> float:
    """Total time covered by unacknowledged writes in the window, approximated by the send
    intervals between consecutive writes (each failed write owns the gap to the next)."""
    window = [p for p in writes(probes) if start <= p.sent_at <= end]
    total = 0.0
    for current, following in zip(window, window[1:], strict=False):
        if current.outcome != ACK:
            total += following.sent_at - current.sent_at
    return total


def latency_percentile_ms(probes: Iterable[Probe], start: float, end: float, percentile: int = 95,
                          kind: str | None = None) -> float | None:
    """Percentile of acknowledged request latency in the window (statistics.quantiles)."""
    values = [p.latency_ms for p in probes if p.outcome == ACK and start <= p.sent_at <= end
              and (kind is None or p.kind == kind)]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percentile - 1]


def failover_verdict(rto: float | None, rpo: float | None, targets: dict[str, float]) -> tuple[str, list[str]]:
    """met when RTO and RPO were measured and both are within their targets."""
    reasons = []
    if rto is None:
        reasons.append("no write was acknowledged after the fault (service not recovered)")
    elif rto > targets["rto_seconds"]:
        reasons.append(f"RTO {rto:.2f} s exceeds the target {targets['rto_seconds']:.0f} s")
    if rpo is None:
        reasons.append("RPO could not be measured")
    elif rpo > targets["rpo_seconds"]:
        reasons.append(f"RPO {rpo:.2f} s exceeds the target {targets['rpo_seconds']:.0f} s")
    return ("missed" if reasons else "met"), reasons


def step_breakdown(steps: Sequence[dict[str, Any]], fault_time: float) -> list[dict[str, Any]]:
    """Runbook steps with their offsets from the fault (the RTO breakdown table)."""
    rows = []
    for step in steps:
        row = {"name": step["name"], "seconds": round(float(step["seconds"]), 3)}
        if step.get("started_at") is not None:
            row["from_fault_seconds"] = round(float(step["started_at"]) - fault_time, 3)
        if step.get("ended_at") is not None:
            row["at_seconds"] = round(float(step["ended_at"]) - fault_time, 3)
        rows.append(row)
    return rows
