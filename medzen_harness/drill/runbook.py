"""The architecture's failover as code, every step timed; plus the guardrails.

lab: 1 detection (HAProxy marks the primary DOWN, read from its admin socket) → 2 traffic to
DR (the old primary fenced in MAINT, DR ready) → 3 promote (pg_promote + poll) → 4 the
global endpoint serves DR (health check passes) → 5 scale DR 1 → 4 EHR API processes.
aws: 1 Route 53 health check unhealthy → 2 (Route 53 failover record follows) → 3
promote_read_replica + wait available → 4 update_service 1 → 4 + wait stable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from medzen_harness.errors import HarnessError
from medzen_harness.lab.haproxy import is_down

POLL_SECONDS = 0.02


class DrillAborted(HarnessError):
    """A guardrail stopped the drill; the environment is healed and restored."""


@dataclass
class Step:
    name: str
    seconds: float
    started_at: float
    ended_at: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Guardrail:
    """The drill's maximum duration; `check()` raises DrillAborted past it."""

    def __init__(self, max_seconds: float):
        self.max_seconds = max_seconds
        self.deadline = time.monotonic() + max_seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, during: str) -> None:
        if time.monotonic() > self.deadline:
            raise DrillAborted(f"guardrail: the drill exceeded its maximum duration of {self.max_seconds:.0f} s "
                               f"during {during}; healed and restored")


def timed(name: str, action: Callable[[], str | None], started_at: float | None = None) -> Step:
    start_wall = time.time() if started_at is None else started_at
    detail = action() or ""
    end = time.time()
    return Step(name, end - start_wall, start_wall, end, detail)


def wait_until(condition: Callable[[], bool], timeout: float, guard: Guardrail, during: str,
               failure: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        guard.check(during)
        if time.monotonic() > deadline:
            raise DrillAborted(failure)
        time.sleep(POLL_SECONDS)


class LabRunbook:
    def __init__(self, lab: Any, primary: str, dr: str, full_processes: int, guard: Guardrail,
                 detection_timeout: float, dr_timeout: float):
        self.lab, self.primary, self.dr = lab, primary, dr
        self.full_processes = full_processes
        self.guard = guard
        self.detection_timeout = detection_timeout
        self.dr_timeout = dr_timeout

    def run(self, fault_time: float) -> list[Step]:
        return [self.detect(fault_time), self.route_to_dr(), self.promote(), self.serve_dr(), self.scale()]

    def detect(self, fault_time: float) -> Step:
        def marked_down() -> str:
            wait_until(lambda: is_down(self.lab.server_states().get(self.primary, "DOWN")), self.detection_timeout,
                       self.guard, "detection",
                       f"guardrail: {self.primary} was not marked down within {self.detection_timeout:.0f} s")
            return f"HAProxy: {self.lab.server_states()}"
        return timed("detection", marked_down, started_at=fault_time)

    def route_to_dr(self) -> Step:
        def switch() -> str:
            self.lab.set_server_state(self.primary, "maint")  # fenced: no traffic even if it comes back
            self.lab.set_server_state(self.dr, "ready")
            return f"{self.primary} MAINT, {self.dr} ready"
        return timed("traffic to DR", switch)

    def promote(self) -> Step:
        def promote() -> str:
            try:
                seconds = self.lab.promote(self.dr)
            except HarnessError as error:
                raise DrillAborted(f"guardrail: the DR region failed too (promotion of {self.dr}: {error})") from error
            return f"pg_promote + pg_is_in_recovery() polling: {seconds:.3f} s"
        return timed("promote", promote)

    def serve_dr(self) -> Step:
        def healthy() -> str:
            wait_until(lambda: self.lab.server_states().get(self.dr) == "UP", self.dr_timeout, self.guard,
                       "DR health check", f"guardrail: the DR region failed too ({self.dr} not healthy within "
                                          f"{self.dr_timeout:.0f} s after promotion)")
            return f"{self.dr} UP in the global endpoint"
        return timed("global endpoint serves DR", healthy)

    def scale(self) -> Step:
        def scale() -> str:
            self.lab.scale(self.dr, self.full_processes)
            return f"{self.dr}: {self.full_processes} EHR API processes"
        return timed("scale DR", scale)


class AwsRunbook:
    """The same steps against real AWS through the cloud helpers (medzen_harness.chaos.aws)."""

    def __init__(self, target: Any, primary: str, dr: str, config: dict[str, Any], guard: Guardrail):
        self.target, self.primary, self.dr, self.config, self.guard = target, primary, dr, config, guard
        self.aws = config["drill"]["aws"]

    def run(self, fault_time: float) -> list[Step]:
        from medzen_harness.chaos.aws_common import aws_module

        actions, probes = aws_module("actions"), aws_module("probes")
        route53 = self.target.client("route53", "us-east-1")
        rds = self.target.client("rds", self.dr)
        ecs = self.target.client("ecs", self.dr)
        health_check = self.aws.get("health_check_id")
        if not health_check:
            raise HarnessError("set drill.aws.health_check_id (the Route 53 health check of the primary region)")

        def detect() -> str:
            wait_until(lambda: probes.health_check_status(route53, health_check) == "unhealthy", 900, self.guard,
                       "detection", "guardrail: the Route 53 health check never failed")
            return "Route 53 health check unhealthy"

        def promote() -> str:
            replica = self.aws["db_instance_ids"][self.dr]
            actions.promote_read_replica(rds, replica)
            probes.wait_db_available(rds, replica, timeout_seconds=self.guard.remaining())
            return f"{replica} promoted and available"

        def scale() -> str:
            actions.scale_service(ecs, self.aws["ecs_cluster"], self.aws["ecs_service"], 4)
            probes.wait_service_stable(ecs, self.aws["ecs_cluster"], self.aws["ecs_service"],
                                       timeout_seconds=self.guard.remaining())
            return "ECS service at 4 tasks, stable"

        return [timed("detection", detect, started_at=fault_time),
                timed("traffic to DR", lambda: "Route 53 failover record follows the health check"),
                timed("promote", promote), timed("scale DR", scale)]
