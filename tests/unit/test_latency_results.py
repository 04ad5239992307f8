"""Result rows from Locust histograms: grouping per vantage x service, percentiles, verdicts."""

import json
import subprocess
import sys

import pytest

from medzen_harness.latency.results import (
    Histogram,
    Route,
    build_rows,
    exit_code,
    judge,
    locust_percentile,
    parse_request_name,
    resolution_ms,
)


def test_request_names_are_parsed_per_vantage():
    assert parse_request_name("ehr_read[douala]") == ("ehr_read", "douala")
    assert parse_request_name("meeting_create[dar-es-salaam]") == ("meeting_create", "dar-es-salaam")
    assert parse_request_name("Aggregated") is None
    assert parse_request_name("something[douala]") is None


def test_resolution_follows_locust_rounding():
    assert resolution_ms(99) == 1
    assert resolution_ms(100) == 10
    assert resolution_ms(990) == 10
    assert resolution_ms(1000) == 100


HISTOGRAMS = [
    {1: 1},
    {100: 10, 110: 5, 250: 1},
    {12: 3, 13: 7, 99: 1, 120: 2},
    {i: 1 for i in range(1, 101)},
]


def test_percentile_rule_matches_locusts_own_function():
    # Locust is imported in a subprocess: importing it here would gevent-patch the test process.
    fractions = [0.5, 0.95, 0.99, 1.0]
    code = ("import json,sys; from locust.stats import calculate_response_time_percentile as p; "
            "hs=json.loads(sys.argv[1]); fs=json.loads(sys.argv[2]); "
            "print(json.dumps([[p({int(k): v for k, v in h.items()}, sum(h.values()), f) for f in fs] for h in hs]))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(HISTOGRAMS), json.dumps(fractions)],
                         capture_output=True, text=True, check=True)
    expected = json.loads(out.stdout)
    ours = [[locust_percentile(h, f) for f in fractions] for h in HISTOGRAMS]
    assert ours == expected


def test_empty_histogram_has_no_percentile():
    assert Histogram().percentile(0.95) is None


def entry(name, counts, failures=0):
    return {"name": name, "method": "GET", "num_requests": sum(counts.values()), "num_failures": failures,
            "response_times": {str(k): v for k, v in counts.items()}}


ROUTES = [Route("douala", "ehr", "af-south-1", 200.0, "lab"), Route("douala", "ai", "eu-west-1", 105.0, "stand-in"),
          Route("cape-town", "ehr", "af-south-1", 10.0, "lab")]


def test_rows_merge_the_calls_of_a_service_and_judge_against_the_target():
    entries = [entry("ehr_read[douala]", {200: 90}), entry("ehr_write[douala]", {210: 10}, failures=0),
               entry("ai_chat[douala]", {110: 5}), entry("ehr_status[cape-town]", {11: 95, 30: 5}),
               entry("Aggregated", {1: 1})]
    rows = build_rows(entries, ROUTES, "normal", 150, 95, ["ehr"], 0.01, emulated=True)
    douala_ehr, douala_ai, cape = rows
    assert (douala_ehr.requests, douala_ehr.p50_ms, douala_ehr.p95_ms) == (100, 200, 210)
    assert douala_ehr.verdict == "missed" and douala_ehr.resolution_ms == 10
    assert set(douala_ehr.calls) == {"ehr_read", "ehr_write"}
    assert douala_ai.verdict == "not judged" and "stand-in" in douala_ai.reason
    assert cape.verdict == "met" and cape.p95_ms == 30 and cape.resolution_ms == 1
    assert exit_code(rows) == 1
    assert exit_code([cape, douala_ai]) == 0


def test_a_judged_row_with_too_many_failures_or_no_data_misses():
    assert judge(20, 0.05, 100, 150, 0.01) == ("missed", "failure rate 5.0% above 1.0%")
    assert judge(None, 0.0, 0, 150, 0.01)[0] == "missed"
    assert judge(149, 0.0, 10, 150, 0.01)[0] == "met"
    assert judge(150, 0.0, 10, 150, 0.01)[0] == "missed"


def test_verdict_close_to_the_target_is_flagged_within_resolution():
    rows = build_rows([entry("ehr_read[douala]", {150: 100})], ROUTES[:1], "dr", 152, 95, ["ehr"], 0.01, True)
    assert rows[0].within_resolution is True


@pytest.mark.parametrize("failures, verdict", [(0, "met"), (5, "missed")])
def test_failure_rate_is_computed_per_row(failures, verdict):
    rows = build_rows([entry("ehr_read[cape-town]", {12: 100}, failures)], ROUTES[2:], "normal", 150, 95, ["ehr"],
                      0.01, True)
    assert rows[0].failure_rate == failures / 100
    assert rows[0].verdict == verdict
