"""Thin steps for features/failover.feature: each calls the drill engine."""

from pytest_bdd import given, parsers, scenarios, then, when

from medzen_harness.config import load_config
from medzen_harness.drill.engine import run_lab_drill, steady_state
from medzen_harness.drill.evidence import attach_drill_evidence

scenarios("failover.feature")


@given("the lab is in steady state", target_fixture="drill")
def lab_in_steady_state(lab):
    assert steady_state(lab, load_config()["drill"]["steady_state"]["max_replication_lag_seconds"]).ok
    return {"lab": lab, "config": load_config(), "delay": 0.0}


@given(parsers.parse("replication lags by {seconds:g} seconds"))
def replication_lags(drill, seconds):
    drill["delay"] = seconds


@when(parsers.parse("{region} suffers a regional outage"))
def regional_outage(drill, region):
    drill["run"] = run_lab_drill(drill["lab"], "region-outage", region, drill["config"], drill["delay"])
    attach_drill_evidence(drill["run"])


@when(parsers.parse('the fault "{fault}" hits {region}'))
def fault_hits(drill, fault, region):
    drill["run"] = run_lab_drill(drill["lab"], fault, region, drill["config"], drill["delay"])
    attach_drill_evidence(drill["run"])


@then(parsers.parse("EHR writes succeed through the global endpoint within {minutes:d} minutes"))
def writes_recover_within(drill, minutes):
    assert drill["run"].result["rto_seconds"] is not None and drill["run"].result["rto_seconds"] <= minutes * 60


@then(parsers.parse("at most {minutes:d} minutes of acknowledged writes are lost"))
def data_loss_at_most(drill, minutes):
    assert drill["run"].result["rpo_seconds"] <= minutes * 60


@then(parsers.parse("the data lost matches the replication lag of {seconds:g} seconds"))
def data_loss_matches_lag(drill, seconds):
    assert abs(drill["run"].result["rpo_seconds"] - seconds) <= max(0.15, 0.05 * seconds), drill["run"].result


@then(parsers.parse('the drill verdict is "{verdict}"'))
def verdict_is(drill, verdict):
    assert drill["run"].result["verdict"] == verdict, drill["run"].result["reasons"]


@then("the lab is restored to steady state")
def restored(drill):
    assert drill["run"].result["restore"]["verified"], drill["run"].result["restore"]
