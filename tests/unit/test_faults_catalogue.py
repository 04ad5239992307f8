"""The fault catalogue: discovery, lookup errors, parameters, the README table, the feature."""

import re

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.chaos.base import Injection, parse_number
from medzen_harness.chaos.catalogue import fault_names, faults, get_fault, markdown_table
from medzen_harness.errors import HarnessError

ISSUE_FAULTS = {"region-outage", "network-partition", "db-crash", "replication-lag", "latency", "api-errors"}


def test_catalogue_discovers_every_fault_of_the_issue():
    assert set(fault_names()) == ISSUE_FAULTS
    for fault in faults().values():
        assert fault.summary and fault.expected_effect and fault.aws_mechanism
        assert issubclass(fault.lab, Injection) and issubclass(fault.aws, Injection)
        assert fault.failover or fault.judge is not None  # a fault without failover brings its own verdict


def test_unknown_fault_lists_the_valid_names():
    with pytest.raises(HarnessError) as error:
        get_fault("meteor-strike")
    assert "unknown fault 'meteor-strike'" in str(error.value)
    assert all(name in str(error.value) for name in ISSUE_FAULTS)


def test_parameters_defaults_overrides_and_unknown():
    latency = get_fault("latency")
    assert latency.resolve_parameters() == {"added_ms": 50.0}
    assert latency.resolve_parameters({"added_ms": "200"}) == {"added_ms": 200.0}
    with pytest.raises(HarnessError, match="has no parameter 'bogus'.*added_ms"):
        latency.resolve_parameters({"bogus": "1"})


@pytest.mark.parametrize(("text", "value"), [("1.5", 1.5), ("1.5s", 1.5), ("1500ms", 1.5), (2, 2.0)])
def test_parse_number(text, value):
    assert parse_number(text, "x") == pytest.approx(value)


@pytest.mark.parametrize("text", ["soon", "-1", "1.5h"])
def test_parse_number_rejects(text):
    with pytest.raises(HarnessError):
        parse_number(text, "--replication-delay")


def test_markdown_table_has_one_row_per_fault():
    table = markdown_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [re.match(r"\| `([^`]+)`", row).group(1) for row in rows] == fault_names()


def test_feature_scenario_outline_covers_the_catalogue():
    feature = (REPO_ROOT / "features" / "failover.feature").read_text()
    examples = feature.split("Examples:", 1)[1]
    listed = {line.split("|")[1].strip() for line in examples.splitlines() if line.strip().startswith("|")}
    assert listed - {"fault"} == set(fault_names())
