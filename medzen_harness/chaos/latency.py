"""latency: added round-trip latency on a region's endpoint."""

from __future__ import annotations

import statistics
import time
from typing import Any

from medzen_harness.chaos.aws_common import FisExperiment
from medzen_harness.chaos.base import Fault, Injection, Parameter
from medzen_harness.drill.probes import STATUS_PATH, http_json
from medzen_harness.lab.runtime import edge_proxy_name

BASELINE_SAMPLES = 5


def status_latency_ms(host: str, port: int) -> float | None:
    started = time.monotonic()
    answer = http_json(host, port, "GET", STATUS_PATH, None, timeout=5.0)
    return (time.monotonic() - started) * 1000.0 if answer.status is not None else None


class LabLatency(Injection):
    """Half the added round trip on each direction of the region's edge fault proxy."""

    def _endpoint(self) -> tuple[str, int]:
        endpoint = self.target.region_endpoint(self.region)
        return endpoint.host, endpoint.port

    def inject(self) -> None:
        samples = [status_latency_ms(*self._endpoint()) for _ in range(BASELINE_SAMPLES)]
        self.baseline_ms = statistics.median([s for s in samples if s is not None] or [0.0])
        half = self.params["added_ms"] / 2.0
        self.target.edge_proxy(self.region, "set_latency", upstream_ms=half, downstream_ms=half)

    def heal(self) -> None:
        self.target.proxy(edge_proxy_name(self.region), "set_latency")

    def observe(self, seconds: float) -> dict[str, Any]:
        samples: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = status_latency_ms(*self._endpoint())
            if value is not None:
                samples.append(value)
            time.sleep(0.05)
        during = statistics.median(samples) if samples else None
        return {
            "injected_added_ms": self.params["added_ms"],
            "baseline_ms": round(self.baseline_ms, 2),
            "during_ms": round(during, 2) if during is not None else None,
            "observed_added_ms": round(during - self.baseline_ms, 2) if during is not None else None,
            "latency_samples": len(samples),
        }


def judge(observations: dict[str, Any], context: dict[str, Any], targets: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """Latency through the global endpoint during the fault vs the latency target; no data loss."""
    p95 = context.get("p95_ms_during_fault")
    reasons = []
    if p95 is None:
        reasons.append("no request succeeded during the fault")
    elif p95 > targets["latency_ms"]:
        reasons.append(f"p95 latency through the global endpoint {p95:.0f} ms exceeds the target "
                       f"{targets['latency_ms']:.0f} ms")
    if context["writes"]["lost"]:
        reasons.append(f"{context['writes']['lost']} acknowledged write(s) lost")
    fields = {"rto_seconds": None, "rto_reason": "no failover: latency degrades, the region keeps serving",
              "rpo_seconds": None, "rpo_reason": "no data-loss mechanism; acknowledged writes are counted instead",
              "p95_ms_during_fault": p95}
    return ("missed" if reasons else "met"), reasons, fields


class AwsLatency(FisExperiment):
    fault_name = "latency"


FAULT = Fault(
    name="latency",
    summary="added round-trip latency on the region's endpoint",
    parameters=(Parameter("added_ms", "added round trip (half each way)", 50.0, " ms"),),
    expected_effect="no failover while health checks still pass; every request to the region is slower",
    measured="added latency observed on the region endpoint; p95 through the global endpoint vs the latency target",
    aws_mechanism="FIS template `latency` (aws:ecs:task-network-latency on the EHRbase tasks)",
    failover=False,
    lab=LabLatency,
    aws=AwsLatency,
    judge=judge,
)
