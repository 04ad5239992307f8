"""Verdict rules of the faults that do not fail over (pure functions)."""

from medzen_harness.chaos import api_errors, latency, replication_lag

TARGETS = {"rto_seconds": 900, "rpo_seconds": 300, "latency_ms": 150}
NO_LOSS = {"writes": {"lost": 0}, "failed_writes_during_fault": 0, "p95_ms_during_fault": 60.0}


def test_replication_lag_is_judged_as_rpo_exposure():
    verdict, reasons, fields = replication_lag.judge({"observed_lag_max_seconds": 2.0}, NO_LOSS, TARGETS)
    assert (verdict, reasons, fields["rpo_seconds"], fields["rto_seconds"]) == ("met", [], 2.0, None)
    verdict, reasons, _ = replication_lag.judge({"observed_lag_max_seconds": 400.0}, NO_LOSS, TARGETS)
    assert verdict == "missed" and "exceeds the RPO target 300 s" in reasons[0]
    verdict, reasons, _ = replication_lag.judge({"observed_lag_max_seconds": None}, NO_LOSS, TARGETS)
    assert verdict == "missed"


def test_replication_lag_observations_from_samples():
    assert replication_lag.lag_observations(1.5, [1.49, 1.51, 1.55]) == {
        "injected_delay_seconds": 1.5, "observed_lag_seconds": 1.51, "observed_lag_max_seconds": 1.55,
        "lag_samples": 3}


def test_latency_is_judged_on_p95_through_the_global_endpoint():
    assert latency.judge({}, NO_LOSS, TARGETS)[0] == "met"
    verdict, reasons, fields = latency.judge({}, {**NO_LOSS, "p95_ms_during_fault": 210.0}, TARGETS)
    assert verdict == "missed" and "210 ms exceeds the target 150 ms" in reasons[0]
    assert fields["rto_seconds"] is None and fields["rpo_seconds"] is None and fields["rto_reason"]
    assert latency.judge({}, {**NO_LOSS, "writes": {"lost": 2}}, TARGETS)[0] == "missed"


def test_api_errors_needs_the_fault_observed_and_the_data_plane_untouched():
    seen = {"api_calls": {"af-south-1": {"503": 12}, "eu-west-1": {"200": 12}}, "failed_region": "af-south-1",
            "injected_status": 503}
    assert api_errors.judge(seen, NO_LOSS, TARGETS)[:2] == ("met", [])
    unseen = {**seen, "api_calls": {"af-south-1": {"200": 12}, "eu-west-1": {"200": 12}}}
    assert "not observed" in api_errors.judge(unseen, NO_LOSS, TARGETS)[1][0]
    leaking = {**seen, "api_calls": {"af-south-1": {"503": 12}, "eu-west-1": {"503": 1, "200": 11}}}
    assert "other regions" in api_errors.judge(leaking, NO_LOSS, TARGETS)[1][0]
    disturbed = {**NO_LOSS, "failed_writes_during_fault": 3}
    assert api_errors.judge(seen, disturbed, TARGETS)[0] == "missed"
