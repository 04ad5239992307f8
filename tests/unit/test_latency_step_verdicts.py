"""The BDD step's judgement: a miss fails, an inconclusive row is skipped visibly, never passed."""

import pytest

from medzen_harness.latency.results import Route, build_rows
from medzen_harness.testing.latency import assert_under_target
from tests.unit.test_latency_results import STALLS, stalled_entry

ROUTE = [Route("douala", "ehr", "eu-west-1", 105.0, "lab")]


def rows_for(raw, stall_free):
    return build_rows([stalled_entry("ehr_read[douala]", raw, stall_free)], ROUTE, "dr", 150, 95, ["ehr"], 0.01,
                      True, client_stalls=STALLS)


def test_met_passes():
    assert_under_target(rows_for({110: 100}, {110: 100}), 95, 150)


def test_inconclusive_is_skipped_with_the_noise_and_the_margin_in_the_reason():
    with pytest.raises(pytest.skip.Exception, match=r"inconclusive: 350 ms >= 150 ms.*frozen.*110 ms"):
        assert_under_target(rows_for({110: 94, 350: 6}, {110: 100}), 95, 150)


def test_a_real_miss_fails():
    with pytest.raises(AssertionError, match="p95 350 ms >= 150 ms"):
        assert_under_target(rows_for({110: 94, 350: 6}, {110: 90, 350: 10}), 95, 150)
