"""The vantage-point catalogue: complete, sourced, and the README table generated from it."""

import pytest

from medzen_harness.config import KNOWN_REGIONS
from medzen_harness.errors import HarnessError
from medzen_harness.latency.vantage import BASES, load_catalogue, markdown_table, normalise_name

REQUIRED_CITIES = ["Douala", "Yaoundé", "Lagos", "Kano", "Accra", "Bangui", "Kigali", "Nairobi",
                   "Dar es Salaam", "Johannesburg", "Cape Town", "Cairo"]


def test_every_required_city_is_in_the_catalogue():
    catalogue = load_catalogue()
    assert [vp.city for vp in catalogue.vantage_points] == REQUIRED_CITIES


def test_every_figure_has_a_positive_rtt_a_basis_and_a_cited_source():
    catalogue = load_catalogue()
    for vp in catalogue.vantage_points:
        assert {r.region for r in vp.rtts} == set(KNOWN_REGIONS)
        for figure in vp.rtts:
            assert figure.rtt_ms > 0
            assert figure.basis in BASES
            assert figure.derivation, f"{vp.name}->{figure.region} has no derivation"
            for key in figure.source.split(","):
                assert key.strip() in catalogue.sources


def test_catalogue_keeps_the_published_anchor_figures():
    # DESIGN.md / urbanx: Cape Town<->Johannesburg 20-30 ms, Johannesburg->Europe 150-180 ms.
    catalogue = load_catalogue()
    johannesburg = catalogue.get("johannesburg")
    assert 20 <= johannesburg.rtt_ms("af-south-1") <= 30
    assert 150 <= johannesburg.rtt_ms("eu-west-1") <= 180
    assert johannesburg.rtt("af-south-1").basis == "published"


def test_names_are_normalised_and_unknown_names_rejected_with_the_list():
    catalogue = load_catalogue()
    assert catalogue.get("Dar es Salaam").name == "dar-es-salaam"
    assert catalogue.get("Yaoundé").name == "yaounde"
    assert normalise_name(" Cape_Town ") == "cape-town"
    with pytest.raises(HarnessError, match="unknown vantage point 'atlantis'.*douala"):
        catalogue.get("atlantis")


def test_select_keeps_order_and_drops_duplicates():
    catalogue = load_catalogue()
    assert [vp.name for vp in catalogue.select(["lagos", "douala", "Lagos"])] == ["lagos", "douala"]
    assert len(catalogue.select(None)) == len(REQUIRED_CITIES)


def test_markdown_table_lists_every_city_with_rtts_and_sources():
    table = markdown_table()
    catalogue = load_catalogue()
    for vp in catalogue.vantage_points:
        assert f"| {vp.city} (`{vp.name}`)" in table
        assert f"{vp.rtt_ms('af-south-1'):.0f} ms ({vp.rtt('af-south-1').basis}" in table
    for key in catalogue.sources:
        assert f"- `{key}`:" in table
