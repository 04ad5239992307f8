"""RTO / RPO / write accounting on synthetic probe logs (ground truth known by construction)."""

import pytest

from medzen_harness.drill import measure
from medzen_harness.drill.measure import ACK, ERROR, TIMEOUT, Probe

FAULT = 100.0


def _log(outcomes, start=98.0, interval=0.1, latency=0.005):
    """Writes every `interval` s from `start`; outcomes[i] is the outcome of write i."""
    return [Probe("write", i, start + i * interval, start + i * interval + latency, outcome)
            for i, outcome in enumerate(outcomes)]


def test_rto_is_first_ack_sent_after_the_fault():
    # 20 acks before the fault (98.0..99.9), 12 failures, then acks from 101.2
    probes = _log([ACK] * 20 + [ERROR] * 6 + [TIMEOUT] * 6 + [ACK] * 5)
    assert measure.rto_seconds(probes, FAULT) == pytest.approx(101.2 + 0.005 - FAULT)


def test_rto_none_when_never_recovered_and_acks_before_fault_do_not_count():
    probes = _log([ACK] * 20 + [ERROR] * 10)
    assert measure.rto_seconds(probes, FAULT) is None


def test_rto_ignores_reads():
    probes = _log([ACK] * 20 + [ERROR] * 3) + [Probe("read", 0, 100.05, 100.06, ACK)]
    assert measure.rto_seconds(probes, FAULT) is None


def test_rpo_with_lost_writes_is_fault_minus_newest_surviving_write():
    probes = _log([ACK] * 25)  # 98.0 .. 100.4
    present = set(range(0, 15))  # writes 15..19 (99.5..99.9) acknowledged and lost
    assert measure.rpo_seconds(probes, present, FAULT) == pytest.approx(FAULT - 99.4)
    counts = measure.count_writes(probes, present | set(range(20, 25)))
    assert (counts.acknowledged, counts.present, counts.lost, counts.in_doubt) == (25, 20, 5, 0)


def test_rpo_zero_when_nothing_acknowledged_is_lost():
    probes = _log([ACK] * 20 + [ERROR] * 5 + [ACK] * 5)
    present = set(range(20)) | set(range(25, 30)) | {21}  # one in-doubt write committed anyway
    assert measure.rpo_seconds(probes, present, FAULT) == 0.0
    counts = measure.count_writes(probes, present)
    assert (counts.lost, counts.in_doubt, counts.in_doubt_present) == (0, 5, 1)


def test_rpo_when_everything_before_the_fault_is_lost():
    probes = _log([ACK] * 20)
    assert measure.rpo_seconds(probes, set(), FAULT) == pytest.approx(2.0)


def test_rpo_only_considers_writes_sent_before_the_fault():
    # a write acknowledged by the new primary after the fault is not a recovery point
    probes = _log([ACK] * 20 + [ERROR] * 10 + [ACK] * 3)
    present = set(range(10)) | {30, 31, 32}
    assert measure.rpo_seconds(probes, present, FAULT) == pytest.approx(FAULT - 98.9)


def test_availability_and_outage():
    probes = _log([ACK] * 20 + [ERROR] * 10 + [ACK] * 10)
    assert measure.availability(probes, 98.0, 102.0) == pytest.approx(30 / 40)
    assert measure.outage_seconds(probes, 98.0, 102.0) == pytest.approx(1.0)
    assert measure.availability([], 0, 1) is None


def test_latency_percentile_only_counts_acks_in_window():
    probes = [Probe("read", i, 10.0 + i, 10.0 + i + (i + 1) / 1000, ACK) for i in range(100)]
    probes.append(Probe("read", 999, 50.0, 60.0, TIMEOUT))
    assert measure.latency_percentile_ms(probes, 0, 200, 95) == pytest.approx(95.05, abs=0.1)
    assert measure.latency_percentile_ms(probes, 500, 600) is None


@pytest.mark.parametrize(("rto", "rpo", "verdict"), [
    (1.2, 0.5, "met"), (901.0, 0.5, "missed"), (1.2, 301.0, "missed"), (None, 0.0, "missed")])
def test_failover_verdict(rto, rpo, verdict):
    result, reasons = measure.failover_verdict(rto, rpo, {"rto_seconds": 900, "rpo_seconds": 300})
    assert result == verdict
    assert bool(reasons) == (verdict == "missed")


def test_step_breakdown_offsets():
    rows = measure.step_breakdown([{"name": "detection", "seconds": 0.7, "started_at": 100.0, "ended_at": 100.7}],
                                  FAULT)
    assert rows == [{"name": "detection", "seconds": 0.7, "from_fault_seconds": 0.0, "at_seconds": 0.7}]
