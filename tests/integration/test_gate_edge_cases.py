"""Edge cases named in the issue, judged by the real gate over tests/fixtures/templates/."""

import pytest


def record(report, policy, resource, file="tests/fixtures/templates/"):
    found = [f for f in report.findings if f.policy == policy and f.resource == resource and file in f.file]
    assert len(found) == 1, (policy, resource, found)
    return found[0]


def test_disabled_lifecycle_rule_expiring_after_one_day_passes(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_RET_S3_LIFECYCLE", "DisabledOneDayRuleBucket")
    assert finding.status == "passed"
    assert "Disabled" in finding.message


def test_allow_statement_on_secure_transport_does_not_count(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_TLS_S3_POLICY", "AllowSecureTransportBucket")
    assert finding.status == "failed" and finding.family == "tls"
    assert "no Deny statement" in finding.message


@pytest.mark.parametrize(("resource", "words"), [
    ("AwsManagedAliasBucket", "AWS-managed key 'alias/aws/s3'"),
    ("Aes256Bucket", "SSEAlgorithm AES256"),
    ("ParameterDefaultAwsKeyBucket", "AWS-managed key 'alias/aws/s3'"),  # Ref -> parameter default
])
def test_aws_managed_or_sse_s3_encryption_fails(policy_fixture_report, resource, words):
    finding = record(policy_fixture_report, "MZ_KMS_S3", resource)
    assert finding.status == "failed" and finding.family == "kms"
    assert words in finding.message


def test_ref_to_parameter_default_with_customer_key_passes(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_KMS_S3", "ParameterDefaultCustomerKeyBucket")
    assert finding.status == "passed"
    assert "alias/medzen-phi" in finding.message


@pytest.mark.parametrize(("policy", "resource", "words"), [
    ("MZ_KMS_S3", "ImportedKeyBucket", "Fn::ImportValue"),           # Python policy
    ("MZ_KMS_LOGS", "ImportedKeyLogs", "Fn::ImportValue"),           # YAML policy: Checkov said PASSED
    ("MZ_KMS_LOGS", "ParameterWithoutDefaultLogs", "without a Default"),
])
def test_values_known_only_at_deploy_time_are_unresolved(policy_fixture_report, policy, resource, words):
    finding = record(policy_fixture_report, policy, resource)
    assert finding.status == "unresolved" and finding.is_finding
    assert words in finding.reason


def test_kms_key_of_the_same_template_is_customer_managed(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_KMS_LOGS", "EhrbaseLogs", "MZ_KMS_LOGS/fixtures/compliant")
    assert finding.status == "passed"
    assert "AWS::KMS::Key in this template" in finding.message


def test_waiver_with_reason_is_skipped_with_that_reason(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_KMS_SNS", "WaivedTopic")
    assert finding.status == "skipped" and not finding.is_finding
    assert "carries no PHI (ticket SEC-42)" in finding.reason


def test_waiver_without_reason_is_a_finding_and_waives_nothing(policy_fixture_report):
    assert record(policy_fixture_report, "MZ_KMS_SNS", "UnjustifiedWaiverTopic").status == "failed"
    waiver = record(policy_fixture_report, "MZ_WAIVER", "UnjustifiedWaiverTopic")
    assert waiver.status == "failed" and waiver.family == "waiver"
    assert "no written reason" in waiver.message


def test_waiver_of_unknown_policy_is_a_finding(policy_fixture_report):
    assert record(policy_fixture_report, "MZ_KMS_SNS", "TypoWaiverTopic").status == "failed"
    assert "unknown policy MZ_KMS_SNSS" in record(policy_fixture_report, "MZ_WAIVER", "TypoWaiverTopic").message


@pytest.mark.parametrize("policy", ["MZ_KMS_RDS", "MZ_RET_RDS_BACKUP"])
def test_resource_conditioned_out_by_parameter_defaults_is_still_judged(policy_fixture_report, policy):
    # Checkov drops it (Condition IsDr is false with Role=primary); a DR deployment would create it.
    finding = record(policy_fixture_report, policy, "DrOnlyUnencryptedDb")
    assert finding.status == "failed"
    assert "Condition IsDr is false under the parameter defaults" in finding.message


def test_yaml_policy_judges_conditioned_out_resource_too(policy_fixture_report):
    assert record(policy_fixture_report, "MZ_RET_RDS_DELETION_PROTECTION", "DrOnlyUnencryptedDb").status == "passed"


def test_checkov_skip_metadata_does_not_waive_our_policies(policy_fixture_report):
    assert record(policy_fixture_report, "MZ_KMS_SNS", "CheckovSkippedTopic").status == "failed"


def test_non_numeric_retention_fails(policy_fixture_report):
    finding = record(policy_fixture_report, "MZ_RET_LOGS", "NonNumericRetentionLogs")
    assert finding.status == "failed" and "RetentionInDays thirty" in finding.message
