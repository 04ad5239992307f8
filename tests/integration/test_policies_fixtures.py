"""Every policy passes its compliant fixture and fails its non-compliant one (real Checkov verdicts).

Parametrized from the catalogue: a new policy folder is tested without touching this file.
"""

from pathlib import Path

import pytest

from medzen_harness.compliance.catalogue import load_policies

POLICIES = load_policies()


def records(report, policy, fixture):
    path = str(policy.fixture(fixture))
    return [f for f in report.findings if f.policy == policy.id and path.endswith(f.file)]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_non_compliant_fixture_fails_with_the_policy_family(policy_fixture_report, policy):
    found = records(policy_fixture_report, policy, "non_compliant")
    assert found, f"{policy.id} judged nothing in its non-compliant fixture"
    assert all(f.status == "failed" for f in found), [(f.resource, f.status, f.message) for f in found]
    assert {f.family for f in found} == {policy.family}
    assert all(f.severity == policy.severity and f.hipaa == list(policy.hipaa) for f in found)
    assert all(f.message.startswith("expected") and "observed" in f.message for f in found)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_compliant_fixture_passes(policy_fixture_report, policy):
    found = records(policy_fixture_report, policy, "compliant")
    assert found, f"{policy.id} judged nothing in its compliant fixture"
    assert all(f.status == "passed" for f in found), [(f.resource, f.status, f.message, f.reason) for f in found]


def test_fixture_findings_point_at_a_line_of_their_template(policy_fixture_report):
    for finding in policy_fixture_report.findings:
        length = len(Path(finding.file).read_text().splitlines())
        assert finding.line and 1 <= finding.line <= length, finding
        assert finding.end_line and finding.end_line <= length + 1, finding
