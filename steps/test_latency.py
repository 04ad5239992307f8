"""Steps of features/latency.feature: each calls the latency engine (medzen_harness.latency)."""

from pytest_bdd import given, parsers, scenarios, then, when

from medzen_harness.latency.evidence import attach_scenario_evidence, attach_summary_evidence
from medzen_harness.latency.vantage import load_catalogue
from medzen_harness.testing.latency import assert_under_target

scenarios("latency.feature")


@given(parsers.parse("users in {city}"), target_fixture="vantage")
def users_in(city):
    return load_catalogue().get(city)


@when(parsers.parse("they use MedZen for {seconds:d} seconds in {routing} routing"), target_fixture="latency_rows")
def they_use_medzen(latency_session, vantage, seconds, routing):
    rows = latency_session.rows(vantage.name, routing.lower(), seconds)
    return attach_scenario_evidence(rows, vantage, latency_session.settings.shape.duration_seconds)


@then(parsers.parse("the {percentile:d}th percentile latency is under {target_ms:d} ms"))
def latency_under(latency_rows, percentile, target_ms):
    assert_under_target(latency_rows, percentile, target_ms)


@given("the latency of every vantage point in normal and DR routing", target_fixture="latency_report")
def every_vantage_point(latency_session):
    latency_session.run("normal", 60), latency_session.run("dr", 60)
    return latency_session.report_json()


@then(parsers.parse("the report shows the 95th percentile per vantage point against {target_ms:d} ms"))
def report_shows_p95(latency_report, latency_session, target_ms):
    attach_summary_evidence(latency_report, latency_session.reports.values(), target_ms)


@then("it lists the vantage points that miss the target in each routing")
def report_lists_misses(latency_report):
    from medzen_harness.latency.evidence import assert_complete_and_list_misses

    assert_complete_and_list_misses(latency_report)
