"""The latency CLI against the real embedded lab (PostgreSQL primary + standby, HAProxy):
normal routing to af-south-1, DR routing through the lab's own fail_region (promotion)."""

import pytest

pytestmark = [pytest.mark.lab]


def test_lab_run_in_both_modes_measures_the_configured_round_trips(run_latency, no_locust_left, tmp_path):
    # A private lab: MEDZEN_LAB_DIR points away from any `lab up` lab of this machine.
    proc, report = run_latency("--vantage", "johannesburg", "--vantage", "lagos", "--users", "8",
                               "--duration", "5", "--mode", "both", backend="lab", timeout=240,
                               MEDZEN_LAB_DIR=str(tmp_path / "no-shared-lab"))
    assert proc.returncode in (0, 1), proc.stderr
    rows = {(r["vantage"], r["mode"], r["service"]): r for r in report["results"]}
    assert rows[("johannesburg", "normal", "ehr")]["served_by"] == "lab EHR API (PostgreSQL)"
    for (vantage, mode), (region, rtt) in {("johannesburg", "normal"): ("af-south-1", 25),
                                           ("lagos", "normal"): ("af-south-1", 200),
                                           ("johannesburg", "dr"): ("eu-west-1", 165),
                                           ("lagos", "dr"): ("eu-west-1", 95)}.items():
        row = rows[(vantage, mode, "ehr")]
        assert (row["region"], row["rtt_ms"]) == (region, rtt)
        assert row["requests"] > 0 and row["failures"] == 0, row
        assert rtt - row["resolution_ms"] <= row["p50_ms"] <= rtt + 40, row  # + the lab's own service time
    assert rows[("lagos", "normal", "ehr")]["verdict"] == "missed"
    assert rows[("johannesburg", "dr", "ehr")]["verdict"] == "missed"
    dr = [run for run in report["runs"] if run["mode"] == "dr"][0]["dr"]
    assert dr["failed_region"] == "af-south-1" and dr["serving_region"] == "eu-west-1"
    assert dr["primary_status_after_fault"] == "no answer"  # the lab's edge proxy refuses
