"""Numbers that should trend across nights (RTO, RPO, latency percentiles) as Allure 3
performance metrics.

Allure 3 reads `*-perf.json` files from the results directory (a JSON list of
`{id, key, value, start, stop, title, unit, better, group}`), shows them in the report's
"Metrics" section and stores their value per key in the history, so the next report draws
each key over time. Keys must be stable across runs: `rto_seconds[<fault>@<region>]`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP_TITLES = {"drill": "Failover drills (RTO / RPO)", "latency": "Latency from African vantage points"}


@dataclass(frozen=True)
class Metric:
    key: str              # stable across runs, e.g. "rto_seconds[region-outage@af-south-1]"
    value: float
    title: str
    unit: str
    better: str = "lower"  # "lower" | "higher"
    group: str | None = None


def write_metrics(results_dir: str | Path, metrics: Iterable[Metric], name: str = "medzen") -> Path | None:
    """Write one `<name>-<uuid>-perf.json` into the results dir; None when there is nothing to write."""
    now = int(time.time() * 1000)
    samples = []
    for metric in metrics:
        sample: dict[str, Any] = {
            "id": str(uuid.uuid4()), "key": metric.key, "value": float(metric.value), "start": now, "stop": now,
            "title": metric.title, "unit": metric.unit, "better": metric.better,
        }
        if metric.group:
            sample["group"] = metric.group
        samples.append(sample)
    if not samples:
        return None
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}-{uuid.uuid4()}-perf.json"
    path.write_text(json.dumps(samples, indent=1))
    return path


def drill_metrics(drill: Mapping[str, Any]) -> list[Metric]:
    """RTO and RPO of one `medzen-harness drill --json` result (the DESIGN.md contract)."""
    where = f"{drill['fault']}@{drill['region']}"
    metrics = []
    for field, label in (("rto_seconds", "RTO"), ("rpo_seconds", "RPO")):
        if drill.get(field) is not None:
            metrics.append(Metric(f"{field}[{where}]", float(drill[field]), f"{label} {where}", "s", "lower", "drill"))
    return metrics


def latency_metrics(latency: Mapping[str, Any], percentile: str = "p95_ms") -> list[Metric]:
    """One metric per vantage point and mode of a `medzen-harness latency --json` result."""
    metrics = []
    for row in latency.get("results", []):
        if row.get(percentile) is None:
            continue
        where = f"{row['vantage']}@{row.get('mode', 'normal')}"
        metrics.append(Metric(f"{percentile}[{where}]", float(row[percentile]),
                              f"{percentile.removesuffix('_ms')} latency {where}", "ms", "lower", "latency"))
    return metrics
