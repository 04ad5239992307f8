"""GateView: the auditor-question filter behind the BDD steps fails on findings and on nothing judged."""

import pytest

from medzen_harness.compliance.view import GateView
from medzen_harness.testing.compliance import EDGE_TEMPLATES


def test_findings_fail_the_question_with_one_line_each(policy_fixture_report):
    view = GateView(policy_fixture_report, [EDGE_TEMPLATES / "edge_cases.yaml"])
    with pytest.raises(AssertionError) as error:
        view.expect_compliant(["MZ_KMS_S3"], what="S3 encryption")
    text = str(error.value)
    assert "finding(s) for S3 encryption" in text
    assert "FAILED MZ_KMS_S3 Aes256Bucket" in text and "UNRESOLVED MZ_KMS_S3 ImportedKeyBucket" in text


def test_nothing_judged_is_not_evidence_of_compliance(policy_fixture_report):
    view = GateView(policy_fixture_report, [EDGE_TEMPLATES / "waivers.yaml"])
    with pytest.raises(AssertionError, match="nothing was judged"):
        view.expect_compliant(["MZ_TLS_CLOUDFRONT"])


def test_phi_filter_and_evidence_rows(policy_fixture_report):
    view = GateView(policy_fixture_report, [EDGE_TEMPLATES / "edge_cases.yaml"])
    rows = view.expect_compliant(["MZ_RET_S3_LIFECYCLE"], phi_only=True)
    assert [r["resource"] for r in rows] == ["DisabledOneDayRuleBucket"]
    assert rows[0]["status"] == "passed" and rows[0]["hipaa"] == "164.316(b)(2)(i), 164.312(c)(1)"


def test_bdd_outline_lists_every_medzen_template():
    # the Scenario Outline must cover every template the gate collects from cloudformation/
    from medzen_harness import REPO_ROOT
    from medzen_harness.testing.compliance import medzen_templates

    feature = (REPO_ROOT / "features" / "compliance.feature").read_text()
    listed = {line.strip().strip("|").strip() for line in feature.split("Examples:")[1].splitlines()[2:]
              if line.strip()}
    collected = {p.relative_to(REPO_ROOT / "cloudformation").as_posix() for p in medzen_templates()}
    assert listed == collected
