"""features/latency.feature agrees with the catalogue: the @expected_miss / @borderline tags are
exactly what the configured round trips predict, and every vantage point is in both routings."""

import re

from medzen_harness import REPO_ROOT
from medzen_harness.config import load_config
from medzen_harness.latency.engine import expected_outcome, serving_region
from medzen_harness.latency.vantage import load_catalogue

FEATURE = REPO_ROOT / "features" / "latency.feature"


def examples_by_outline() -> dict[str, dict[str, str]]:
    """{'normal': {city: 'meets'|'misses'|'borderline'}, 'dr': {...}} read from the feature text."""
    outlines: dict[str, dict[str, str]] = {}
    mode, pending, current, header_seen = None, "meets", "meets", False
    for line in FEATURE.read_text().splitlines():
        text = line.strip()
        heading = re.match(r"Scenario Outline: .* in (normal|DR) routing", text)
        if heading:
            mode = heading.group(1).lower()
            outlines[mode] = {}
            pending = "meets"
        elif text.startswith("@"):
            pending = "misses" if "@expected_miss" in text else "borderline" if "@borderline" in text else "meets"
        elif text.startswith("Examples:"):
            current, pending, header_seen = pending, "meets", False
        elif text.startswith("|") and mode:
            if header_seen:
                outlines[mode][text.strip("| ").strip()] = current
            header_seen = True
    return outlines


def test_every_vantage_point_is_in_both_routings():
    cities = {vp.city for vp in load_catalogue().vantage_points}
    outlines = examples_by_outline()
    assert set(outlines) == {"normal", "dr"}
    for mode, examples in outlines.items():
        assert set(examples) == cities, mode


def test_expected_misses_are_what_the_round_trips_predict():
    config = load_config(None)
    target = config["targets"]["latency_ms"]
    for mode, examples in examples_by_outline().items():
        region = serving_region("ehr", mode, config)
        for city, tagged in examples.items():
            predicted = expected_outcome(load_catalogue().get(city).rtt_ms(region), target)
            assert tagged == predicted, f"{city} in {mode} routing is tagged '{tagged}' but its RTT predicts '{predicted}'"


def test_expected_outcome_rule():
    assert expected_outcome(149.9, 150) == "borderline"
    assert expected_outcome(150, 150) == "misses"
    assert expected_outcome(129, 150) == "meets"
