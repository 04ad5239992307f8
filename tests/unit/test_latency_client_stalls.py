"""load/client_stalls.py: the measuring worker's own freezes and calls without them."""

import importlib.util
import json
import subprocess
import sys

import pytest

from medzen_harness import REPO_ROOT

_spec = importlib.util.spec_from_file_location("client_stalls", REPO_ROOT / "load" / "client_stalls.py")
client_stalls = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(client_stalls)
StallClock, StallFreeTimes = client_stalls.StallClock, client_stalls.StallFreeTimes


def clock_with_freeze(start, end):
    clock = StallClock()
    clock.tick(0.99, 0.99)  # on time
    clock.tick(start, end)  # woke (end - start) late: frozen
    clock.tick(end + 0.01, end + 0.0101)  # 0.1 ms late: scheduling jitter, not a freeze
    clock.tick(2.0, 2.0)
    return clock


def test_a_late_wake_up_is_a_freeze_and_jitter_is_not():
    clock = clock_with_freeze(1.0, 1.2)
    assert clock.summary() == {"count": 1, "max_ms": 200.0, "total_ms": 200.0}
    assert clock.summary(since=1.5)["count"] == 0
    assert clock.summary(until=0.5)["count"] == 0


@pytest.mark.parametrize("start, end, overlap", [
    (0.5, 0.9, 0.0),      # before the freeze
    (0.9, 1.1, 100.0),    # the first half of the freeze
    (1.05, 1.1, 50.0),    # entirely inside
    (0.8, 1.5, 200.0),    # spans it
    (1.2, 1.3, 0.0),      # after
])
def test_overlap_of_a_call_with_the_freezes(start, end, overlap):
    assert clock_with_freeze(1.0, 1.2).overlap_ms(start, end) == pytest.approx(overlap)


def test_calls_are_binned_like_locust_once_the_clock_has_passed_them():
    clock = clock_with_freeze(1.0, 1.2)
    times = StallFreeTimes(clock)
    times.add("ehr_read[douala]", 0.95, 350.0)   # 0.95-1.30: 200 ms frozen -> 150
    times.add("ehr_read[douala]", 0.5, 96.4)     # untouched -> 96
    times.add("ehr_read[douala]", 1.95, 120.0)   # ends after the last tick: waits
    assert times.take() == {"ehr_read[douala]": {150: 1, 96: 1}}
    assert len(times.pending) == 1
    assert times.take(everything=True) == {"ehr_read[douala]": {120: 1}}
    assert times.take(everything=True) == {}


def test_rounding_matches_locusts_own_bucketing():
    values = [0.4, 12.5, 99.4, 99.6, 104.9, 105.0, 994.0, 995.0, 1049.0, 1050.0, 12345.0]
    code = ("import json,sys; from locust.stats import bucket_response_time as b; "
            "print(json.dumps([b(v) for v in json.loads(sys.argv[1])]))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(values)], capture_output=True, text=True, check=True)
    assert [client_stalls.locust_rounded(v) for v in values] == json.loads(out.stdout)


def test_the_master_adds_up_worker_reports():
    totals = {}
    client_stalls.merge(totals, {"ehr_read[douala]": {"110": 2}})
    client_stalls.merge(totals, {"ehr_read[douala]": {110: 1, "350": 1}})
    assert totals == {"ehr_read[douala]": {"110": 3, "350": 1}}
