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
from medzen_harness.aws.session import DeployedEnvironment, deployed_environment
from medzen_harness.aws.targets import AwsTarget, open_target
from medzen_harness.config import load_config

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
