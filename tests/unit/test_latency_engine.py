"""Latency run settings, routing per mode, real-mode endpoints, Locust command lines."""

import copy

import pytest

from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError
from medzen_harness.latency import engine
from medzen_harness.latency.locust_run import (
    LoadShape,
    WorkerSpec,
    master_argv,
    remote_worker_command,
    worker_env,
)


@pytest.fixture
def config():
    return load_config(None)


def test_defaults_come_from_the_config(config, monkeypatch):
    monkeypatch.delenv(engine.ENV_DURATION, raising=False)
    monkeypatch.delenv(engine.ENV_USERS, raising=False)
    settings = engine.resolve_settings(config)
    assert len(settings.vantage_points) == 12
    assert settings.target_ms == 150 and settings.percentile == 95
    assert settings.shape.users == config["latency"]["users"]
    assert settings.shape.duration_seconds == config["latency"]["duration_seconds"]


def test_ci_shortens_the_duration_through_the_environment(config, monkeypatch):
    monkeypatch.setenv(engine.ENV_DURATION, "7")
    assert engine.resolve_settings(config).shape.duration_seconds == 7
    assert engine.resolve_settings(config, duration_seconds=3).shape.duration_seconds == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"users": 0}, "--users must be at least 1"),
    ({"users": 10_000}, "exceeds latency.max_users"),
    ({"users": 3}, "fewer than the 12 vantage points"),
    ({"duration_seconds": 0}, "--duration must be at least 1"),
    ({"duration_seconds": 100_000}, "exceeds latency.max_duration_seconds"),
    ({"vantages": ["atlantis"]}, "unknown vantage point 'atlantis'"),
])
def test_bad_input_is_one_readable_error(config, kwargs, message):
    with pytest.raises(HarnessError, match=message):
        engine.resolve_settings(config, **kwargs)


def test_normal_routing_sends_ehr_to_the_primary_and_ai_to_dublin(config):
    assert engine.serving_region("ehr", "normal", config) == "af-south-1"
    assert engine.serving_region("ai", "normal", config) == "eu-west-1"
    assert engine.serving_region("meetings", "normal", config) == "eu-west-1"


def test_dr_routing_moves_what_lived_in_the_primary_to_the_dr_region(config):
    assert {engine.serving_region(s, "dr", config) for s in ("ehr", "ai", "meetings")} == {"eu-west-1"}
    with pytest.raises(HarnessError, match="unknown mode"):
        engine.serving_region("ehr", "sideways", config)


def test_routes_carry_the_catalogue_rtt_of_the_serving_region(config):
    points = engine.resolve_settings(config, vantages=["cape-town"], users=1).vantage_points
    normal = engine.plan_routes(points, "normal", config, lambda s, r: "x")
    dr = engine.plan_routes(points, "dr", config, lambda s, r: "x")
    assert [(r.service, r.region, r.rtt_ms) for r in normal] == [
        ("ehr", "af-south-1", 10.0), ("ai", "eu-west-1", 170.0), ("meetings", "eu-west-1", 170.0)]
    assert [(r.service, r.region, r.rtt_ms) for r in dr][0] == ("ehr", "eu-west-1", 170.0)


def test_real_mode_needs_an_explicit_ehr_endpoint(config):
    with pytest.raises(HarnessError, match="latency.aws.endpoints.af-south-1.ehr"):
        engine.aws_endpoints(config, "normal")
    configured = copy.deepcopy(config)
    configured["latency"]["aws"]["endpoints"]["eu-west-1"]["ehr"] = "https://ehr.eu.example.org/"
    urls, skipped = engine.aws_endpoints(configured, "dr")
    assert urls == {"ehr": "https://ehr.eu.example.org"}
    assert [s["service"] for s in skipped] == ["ai", "meetings"]
    assert all(s["reason"].startswith("skipped:") for s in skipped)


def test_the_remote_worker_command_selects_its_vantage_and_connects_to_the_master():
    shape = LoadShape(users=12, duration_seconds=60, spawn_rate=10)
    spec = WorkerSpec("douala", {"ehr": "https://ehr.example.org"})
    command = remote_worker_command(spec, shape, "master.example.org", 5557)
    assert command.startswith("MEDZEN_VANTAGE=douala MEDZEN_ENDPOINTS=")
    assert command.endswith("locust -f load/locustfile.py --worker --master-host master.example.org --master-port 5557")
    assert worker_env(spec, shape)["MEDZEN_ENDPOINTS"] == '{"ehr": "https://ehr.example.org"}'


def test_master_is_bounded_by_run_time_and_worker_wait(tmp_path):
    argv = master_argv(LoadShape(users=24, duration_seconds=9, spawn_rate=50, startup_timeout_seconds=20), 12,
                       "127.0.0.1", 5999, tmp_path / "locust")
    joined = " ".join(argv)
    assert "--master" in argv and "--headless" in argv
    assert "--expect-workers 12" in joined and "--expect-workers-max-wait 20" in joined
    assert "--run-time 9s" in joined and "--users 24" in joined
