"""The vantage-point catalogue (`load/vantage_points.yaml`): cities, their round-trip time to
each AWS region of the architecture, and the source of every figure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from medzen_harness import REPO_ROOT
from medzen_harness.config import KNOWN_REGIONS
from medzen_harness.errors import HarnessError

CATALOGUE_PATH = REPO_ROOT / "load" / "vantage_points.yaml"
BASES = ("published", "composed", "estimated")


@dataclass(frozen=True)
class RegionRtt:
    region: str
    rtt_ms: float
    basis: str
    source: str
    derivation: str


@dataclass(frozen=True)
class VantagePoint:
    name: str
    city: str
    country: str
    market: str
    rtts: tuple[RegionRtt, ...]

    def rtt(self, region: str) -> RegionRtt:
        for entry in self.rtts:
            if entry.region == region:
                return entry
        raise HarnessError(f"vantage point {self.name} has no RTT to {region}; add it to {CATALOGUE_PATH.name}")

    def rtt_ms(self, region: str) -> float:
        return self.rtt(region).rtt_ms


@dataclass(frozen=True)
class Catalogue:
    sources: dict[str, str]
    vantage_points: tuple[VantagePoint, ...]

    @property
    def names(self) -> list[str]:
        return [vp.name for vp in self.vantage_points]

    def get(self, name: str) -> VantagePoint:
        wanted = normalise_name(name)
        for vp in self.vantage_points:
            if vp.name == wanted:
                return vp
        raise HarnessError(f"unknown vantage point '{name}'; use one of {', '.join(self.names)}")

    def select(self, names: Iterable[str] | None) -> list[VantagePoint]:
        """The named vantage points (all when `names` is empty), in the order given, no duplicates."""
        if not names:
            return list(self.vantage_points)
        chosen: list[VantagePoint] = []
        for name in names:
            vp = self.get(name)
            if vp not in chosen:
                chosen.append(vp)
        return chosen


def normalise_name(name: str) -> str:
    """'Dar es Salaam', 'dar_es_salaam', 'Yaoundé' -> catalogue keys ('dar-es-salaam', 'yaounde')."""
    plain = name.strip().lower().replace("é", "e").replace("_", "-").replace(" ", "-")
    return plain


def _parse(data: dict, path: Path) -> Catalogue:
    if not isinstance(data, dict) or "vantage_points" not in data or "sources" not in data:
        raise HarnessError(f"{path} must have 'sources' and 'vantage_points'")
    sources = {str(k): " ".join(str(v).split()) for k, v in data["sources"].items()}
    points: list[VantagePoint] = []
    for raw in data["vantage_points"]:
        rtts: list[RegionRtt] = []
        for region, figure in raw["rtt_ms"].items():
            if region not in KNOWN_REGIONS:
                raise HarnessError(f"{path}: {raw['name']} has RTT to unknown region {region}")
            if figure["basis"] not in BASES:
                raise HarnessError(f"{path}: {raw['name']}->{region} basis must be one of {BASES}")
            for key in (k.strip() for k in str(figure["source"]).split(",")):
                if key not in sources:
                    raise HarnessError(f"{path}: {raw['name']}->{region} cites unknown source '{key}'")
            value = figure["value"]
            if not isinstance(value, (int, float)) or value <= 0:
                raise HarnessError(f"{path}: {raw['name']}->{region} RTT must be a positive number")
            rtts.append(RegionRtt(region, float(value), figure["basis"], str(figure["source"]),
                                  " ".join(str(figure["derivation"]).split())))
        missing = set(KNOWN_REGIONS) - {r.region for r in rtts}
        if missing:
            raise HarnessError(f"{path}: {raw['name']} lacks RTT to {', '.join(sorted(missing))}")
        points.append(VantagePoint(raw["name"], raw["city"], raw["country"], raw["market"], tuple(rtts)))
    return Catalogue(sources, tuple(points))


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise HarnessError(f"cannot read the vantage catalogue {path}: {error}") from error
    return _parse(data, Path(path))


def select_vantage_points(names: Sequence[str] | None) -> list[VantagePoint]:
    return load_catalogue().select(names)


def markdown_table() -> str:
    """README table of the vantage points (generated; do not edit the README copy by hand)."""
    catalogue = load_catalogue()
    lines = [
        "| vantage point | country | RTT af-south-1 | RTT eu-west-1 | RTT us-east-1 |",
        "|---|---|---|---|---|",
    ]
    for vp in catalogue.vantage_points:
        cells = [f"{vp.rtt_ms(r):.0f} ms ({vp.rtt(r).basis}: {vp.rtt(r).source})" for r in KNOWN_REGIONS]
        lines.append(f"| {vp.city} (`{vp.name}`) | {vp.country} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Basis: *published* = a published measurement for that pair; *composed* = sum of "
                 "published segments; *estimated* = no published measurement, built from a neighbour's "
                 "figure plus an assumed segment. Every derivation is written next to the figure in "
                 "`load/vantage_points.yaml`. Sources:")
    lines.append("")
    for key, text in catalogue.sources.items():
        lines.append(f"- `{key}`: {text}")
    return "\n".join(lines)
