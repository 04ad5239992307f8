"""pytest fixtures for compliance (loaded by the root conftest): each scan runs once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.compliance.catalogue import load_policies
from medzen_harness.compliance.gate import GateReport, corpus_dir, default_paths, run_gate
from medzen_harness.config import load_config

EDGE_TEMPLATES = REPO_ROOT / "tests" / "fixtures" / "templates"


def gate_regions() -> list[str]:
    config = load_config(None)
    return [config["regions"][role] for role in ("primary", "dr", "backup")]


@pytest.fixture(scope="session")
def medzen_gate_report() -> GateReport:
    """The gate over the project's templates (cloudformation/), as the release pipeline runs it."""
    return run_gate(default_paths(), regions=gate_regions())


@pytest.fixture(scope="session")
def policy_fixture_report() -> GateReport:
    """Our policies over every policy's compliant/non-compliant fixture and the edge-case templates."""
    files: list[Path] = []
    for policy in load_policies():
        files += [policy.fixture("compliant"), policy.fixture("non_compliant")]
    files += [EDGE_TEMPLATES / "edge_cases.yaml", EDGE_TEMPLATES / "waivers.yaml"]
    return run_gate(files, regions=gate_regions(), lint=False)


@pytest.fixture(scope="session")
def corpus_report() -> GateReport:
    """The gate over the third-party corpus (../shared/corpus/aws-cloudformation-templates)."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("not available: ../shared/corpus/aws-cloudformation-templates (set MEDZEN_CORPUS)")
    return run_gate([corpus], regions=gate_regions())


# ---- helpers for the BDD steps (steps/test_compliance.py) --------------------------------

def medzen_templates() -> list[Path]:
    """The project's templates, as the gate collects them by default."""
    from medzen_harness.compliance.gate import collect_templates

    return collect_templates(default_paths())


def medzen_template(name: str) -> Path:
    """A template by its path under cloudformation/ (e.g. `chaos/fis-ecs-stop-task.yaml`)."""
    matches = [p for p in medzen_templates() if p.as_posix().endswith(f"cloudformation/{name}")]
    assert matches, f"no MedZen template cloudformation/{name}"
    return matches[0]


def view_of(report: GateReport, templates: list[Path]):
    from medzen_harness.compliance.view import GateView

    return GateView(report, templates)


def expect(view, what: str, policies: list[str] | None = None, family: str | None = None,
           phi_only: bool = False) -> None:
    """Attach the records answering `what` as evidence, then assert they are all compliant."""
    from medzen_harness.compliance.view import evidence_rows
    from medzen_harness.evidence.allure import attach_table

    attach_table(evidence_rows(view.records(policies, family, phi_only)), f"gate records: {what}")
    view.expect_compliant(policies, family, phi_only, what)
