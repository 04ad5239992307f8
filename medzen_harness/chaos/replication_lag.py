"""replication-lag: WAL shipping to the DR region is delayed by a given amount.

`recovery_min_apply_delay` would delay *applying* WAL, which promotion skips — it creates no
data loss. Delaying *shipping* (the replication link through the fault proxy) does: the
standby simply has not received the newest WAL when the primary region dies.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg

from medzen_harness.chaos.aws_common import NotOnAws
from medzen_harness.chaos.base import Fault, Injection, Parameter
from medzen_harness.lab.runtime import REPLICATION_PROXY

SAMPLE_INTERVAL_SECONDS = 0.2


class LabReplicationLag(Injection):
    """Downstream (primary → standby) latency on the replication fault proxy."""

    def inject(self) -> None:
        self.target.proxy(REPLICATION_PROXY, "set_latency", downstream_ms=self.params["delay_seconds"] * 1000.0)

    def heal(self) -> None:
        self.target.proxy(REPLICATION_PROXY, "set_latency")

    def observe(self, seconds: float) -> dict[str, Any]:
        """Wait for the delay to build up, then sample the standby's replay lag as the primary
        sees it (pg_stat_replication.replay_lag) for `seconds`."""
        delay = self.params["delay_seconds"]
        time.sleep(delay + 0.3)
        samples = sample_replay_lag(self.target.db_dsn(self.target.primary_region, dbname="postgres"), seconds)
        return lag_observations(delay, samples)


def sample_replay_lag(dsn: str, seconds: float) -> list[float]:
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    with psycopg.connect(dsn, autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication "
                "ORDER BY backend_start DESC LIMIT 1").fetchone()
            if row and row[0] is not None:
                samples.append(float(row[0]))
            time.sleep(SAMPLE_INTERVAL_SECONDS)
    return samples


def lag_observations(injected: float, samples: list[float]) -> dict[str, Any]:
    return {
        "injected_delay_seconds": injected,
        "observed_lag_seconds": round(statistics.median(samples), 3) if samples else None,
        "observed_lag_max_seconds": round(max(samples), 3) if samples else None,
        "lag_samples": len(samples),
    }


def judge(observations: dict[str, Any], context: dict[str, Any], targets: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """The lag is the data at risk if the primary region failed now: judged against the RPO target."""
    exposure = observations.get("observed_lag_max_seconds")
    reasons = []
    if exposure is None:
        reasons.append("no replication lag could be observed (standby not streaming?)")
    elif exposure > targets["rpo_seconds"]:
        reasons.append(f"replication lag {exposure:.2f} s exceeds the RPO target {targets['rpo_seconds']:.0f} s")
    if context["writes"]["lost"]:
        reasons.append(f"{context['writes']['lost']} acknowledged write(s) lost without a failover")
    fields = {
        "rto_seconds": None,
        "rto_reason": "no failover: the primary region kept serving",
        "rpo_seconds": exposure,
        "rpo_basis": "replication lag observed on the standby (max): the data at risk if the primary failed now",
    }
    return ("missed" if reasons else "met"), reasons, fields


FAULT = Fault(
    name="replication-lag",
    summary="WAL shipping to the DR region delayed (not apply: shipping)",
    parameters=(Parameter("delay_seconds", "added WAL shipping delay", 2.0, " s"),),
    expected_effect="no outage; the standby lags by the delay, which is the RPO a regional failure would cause",
    measured="replication lag observed (pg_stat_replication.replay_lag) vs the RPO target",
    aws_mechanism="none (RDS cross-region replication has no delay control); observed via the ReplicaLag "
                  "CloudWatch metric",
    failover=False,
    lab=LabReplicationLag,
    aws=type("AwsReplicationLag", (NotOnAws,), {"reason": "replication-lag cannot be injected on AWS: RDS "
                                                          "cross-region replication has no delay control"}),
    judge=judge,
)
