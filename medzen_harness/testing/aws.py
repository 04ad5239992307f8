"""pytest fixtures for aws (loaded by the root conftest).

- `embedded_aws_target`: a fresh embedded AWS (moto server on a free loopback port) for one test.
- `deployed_medzen`: the MedZen stacks deployed on the embedded AWS once per session,
  verified (service-API checks, live compliance next to the static gate, PHI residency) and
  torn down at the end of the session.
- `fixture_plan_path`: the small architecture-like test plan (tests/fixtures/deploy/plan.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.aws.compliance import run_static_gate
from medzen_harness.aws.emulator import GAPS
from medzen_harness.aws.session import DeployedEnvironment, deployed_environment
from medzen_harness.aws.targets import AwsTarget, open_target
from medzen_harness.aws.verify import CheckResult
from medzen_harness.config import load_config
from medzen_harness.evidence.allure import attach_table

FIXTURE_PLAN = REPO_ROOT / "tests" / "fixtures" / "deploy" / "plan.yaml"


@pytest.fixture
def fixture_plan_path() -> str:
    return str(FIXTURE_PLAN)


@pytest.fixture
def embedded_aws_target() -> Iterator[AwsTarget]:
    with open_target(load_config(None), "embedded") as target:
        yield target


@pytest.fixture(scope="session")
def deployed_medzen() -> Iterator[DeployedEnvironment]:
    config = load_config(None)
    with deployed_environment(config, "embedded", teardown=True) as environment:
        gate = run_static_gate(sorted({s.template for s in environment.plan.unique_stacks}))
        environment.verify(gate)
        yield environment


# ---- what the deploy scenarios assert (steps stay one line) ------------------------------------

def stack_sequence(environment: DeployedEnvironment) -> list[str]:
    """`name@region` of every deployment step, in the order it ran."""
    return [f"{s.name}@{s.region}" for s in environment.run.stacks]


def expect_final_update(environment: DeployedEnvironment, stack_id: str) -> None:
    """The last deployment step updated `stack_id` (or was skipped for a declared emulator gap)."""
    last = environment.run.stacks[-1]
    assert f"{last.name}@{last.region}" == stack_id, f"last step was {last.name}@{last.region}"
    attach_table([{"stack": last.name, "region": last.region, "status": last.status, "reason": last.reason}], "last deployment step")
    if last.status == "skipped":
        pytest.skip(last.reason)
    assert last.status in ("updated", "unchanged"), last.status


def expect_checks(checks: list[CheckResult], title: str, ids: tuple[str, ...] | list[str],
                  region: str | None = None) -> list[CheckResult]:
    """The checks `ids` (optionally in one region) as an Allure table; fail on any failed one,
    skip (with the declared reasons) when the embedded AWS could answer none of them."""
    rows = [c for c in checks if c.id in ids and (region is None or c.region == region)]
    attach_table([c.row() for c in rows] or [{"result": "no such check ran"}], title)
    if not rows:
        raise AssertionError(f"{title}: no check {', '.join(ids)} ran" + (f" in {region}" if region else ""))
    failed = [f"{c.id} {c.region} {c.resource}: {c.reason}" for c in rows if c.status == "failed"]
    if failed:
        raise AssertionError(f"{title}: " + "; ".join(failed))
    if all(c.status == "skipped" for c in rows):
        pytest.skip("; ".join(sorted({c.reason for c in rows})))
    return rows


def attach_deploy_evidence(environment: DeployedEnvironment) -> None:
    run = environment.run
    attach_table([{"stack": s.name, "region": s.region, "template": s.template, "status": s.status,
                   "stack status": s.stack_status, "reason": s.reason} for s in run.stacks], "stacks")
    attach_table(run.side_by_side or [{"result": "no live compliance rows"}], "template says / account shows")
    attach_table(run.residency_rows or [{"result": "no PHI-tagged resource"}], "PHI residency map")


def undeclared_skips(checks: list[CheckResult]) -> list[str]:
    declared = {gap.skip_reason for gap in GAPS}
    return [f"{c.id} {c.region} {c.resource}: {c.reason}" for c in checks if c.status == "skipped" and c.reason not in declared]


def disagreements(environment: DeployedEnvironment) -> list[dict[str, str]]:
    """Rows where the static gate and the live account both judged and differ."""
    return [row for row in environment.run.side_by_side if row["agree"] == "False"]


@pytest.fixture
def torn_down_medzen() -> Iterator[DeployedEnvironment]:
    """A separate deployment of the MedZen stacks, torn down (and verified by listing) at once."""
    with deployed_environment(load_config(None), "embedded", teardown=False) as environment:
        environment.teardown()
        yield environment


def remaining_resources(environment: DeployedEnvironment) -> list[str]:
    """After teardown: stacks still listed plus resources still found by their own APIs."""
    target, left = environment.target, list(environment.run.teardown.leftover)
    for region in target.regions:
        cf = target.client("cloudformation", region)
        left += [f"stack {s['StackName']} ({region}) {s['StackStatus']}" for s in cf.list_stacks()["StackSummaries"]
                 if s["StackStatus"] != "DELETE_COMPLETE"]
        left += [f"RDS {d['DBInstanceIdentifier']} ({region})" for d in target.client("rds", region).describe_db_instances()["DBInstances"]]
        left += [f"log group {g['logGroupName']} ({region})" for g in target.client("logs", region).describe_log_groups()["logGroups"]]
        left += [f"load balancer {lb['LoadBalancerName']} ({region})"
                 for lb in target.client("elbv2", region).describe_load_balancers()["LoadBalancers"]]
    left += [f"bucket {b['Name']}" for b in target.client("s3", "us-east-1").list_buckets()["Buckets"]]
    left += [f"hosted zone {z['Name']}" for z in target.client("route53", "us-east-1").list_hosted_zones()["HostedZones"]]
    attach_table([{"left behind": item} for item in left] or [{"left behind": "nothing"}], "after teardown")
    return left
