"""Deploy → verify → (teardown): the one flow shared by the CLI, the pytest fixture and the
benchmark. `deployed_environment` keeps the stacks up for a block and always restores:
the stacks this run deployed are torn down when asked, the embedded server is stopped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from medzen_harness.aws.compliance import live_compliance, side_by_side
from medzen_harness.aws.deploy import StackResult, TeardownReport, deploy_plan, teardown_plan
from medzen_harness.aws.plan import StackPlan, load_plan
from medzen_harness.aws.residency import residency_from_config
from medzen_harness.aws.targets import AwsTarget, open_target
from medzen_harness.aws.verify import CheckResult, Deployed, verify


@dataclass
class DeployRun:
    """Everything one deploy run found; `contract()` is the CLI's JSON."""

    target: str
    stacks: list[StackResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    compliance: list[CheckResult] = field(default_factory=list)
    residency: list[CheckResult] = field(default_factory=list)
    residency_rows: list[dict[str, str]] = field(default_factory=list)
    side_by_side: list[dict[str, str]] = field(default_factory=list)
    teardown: TeardownReport = field(default_factory=lambda: TeardownReport(performed=False))
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def all_checks(self) -> list[CheckResult]:
        return self.checks + self.compliance + self.residency + self.teardown_checks

    @property
    def teardown_checks(self) -> list[CheckResult]:
        if not self.teardown.performed:
            return []
        ok = not self.teardown.leftover
        return [CheckResult("teardown_complete", "all", "all stacks", "passed" if ok else "failed",
                            "" if ok else "left behind: " + "; ".join(self.teardown.leftover),
                            "nothing left after teardown", "; ".join(self.teardown.leftover) or "nothing left")]

    @property
    def exit_code(self) -> int:
        return 1 if any(c.status == "failed" for c in self.all_checks) else 0

    def contract(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "stacks": [s.contract() for s in self.stacks],
            "checks": [c.contract() for c in self.all_checks],
            "teardown": self.teardown.contract(),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


@dataclass
class DeployedEnvironment:
    target: AwsTarget
    plan: StackPlan
    config: dict[str, Any]
    run: DeployRun

    @property
    def deployed(self) -> Deployed:
        return Deployed(self.target, self.plan, {f"{s.name}@{s.region}": s for s in self.run.stacks if s.status != "skipped"})

    def verify(self, gate_report: dict[str, Any] | None = None) -> DeployRun:
        started = time.monotonic()
        env = self.deployed
        self.run.checks = verify(env)
        self.run.compliance = live_compliance(env)
        self.run.side_by_side = side_by_side(self.run.compliance, gate_report)
        self.run.residency_rows, self.run.residency = residency_from_config(self.target, self.config)
        self.run.seconds["verify"] = time.monotonic() - started
        return self.run

    def teardown(self, purge_retained: bool | None = None) -> TeardownReport:
        started = time.monotonic()
        self.run.teardown = teardown_plan(self.target, self.plan, purge_retained=purge_retained)
        self.run.seconds["teardown"] = time.monotonic() - started
        return self.run.teardown


@contextmanager
def deployed_environment(config: dict[str, Any], kind: str | None = None, plan_path: str | None = None,
                         teardown: bool = True, port: int = 0, purge_retained: bool | None = None) -> Iterator[DeployedEnvironment]:
    """Deploy the plan for the block; on exit tear down (if asked) and stop the embedded server.

    `teardown=False` leaves a real account's stacks in place; on the embedded target the
    stacks end with the emulator anyway.
    """
    plan = load_plan(plan_path or config["aws"].get("stack_plan"))
    kind = kind or config["aws"]["target"]
    with open_target(config, kind, regions=None, port=port) as target:
        run = DeployRun(target=kind)
        started = time.monotonic()
        run.stacks = deploy_plan(target, plan)
        run.seconds["deploy"] = time.monotonic() - started
        environment = DeployedEnvironment(target, plan, config, run)
        try:
            yield environment
        finally:
            if teardown and not run.teardown.performed:
                environment.teardown(purge_retained)
