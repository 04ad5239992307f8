"""The policy catalogue: metadata complete, one check per policy, fixtures beside it, README table."""

import re
from pathlib import Path

import pytest
import yaml

from medzen_harness import REPO_ROOT
from medzen_harness.compliance.catalogue import FAMILIES, POLICIES_DIR, load_policies, markdown_table

POLICIES = load_policies()
CONTRACT_IDS = {
    "MZ_KMS_S3", "MZ_KMS_RDS", "MZ_KMS_DYNAMODB", "MZ_KMS_LOGS", "MZ_KMS_SNS", "MZ_KMS_SQS",
    "MZ_KMS_SECRETS", "MZ_KMS_ROTATION", "MZ_RET_S3_LIFECYCLE", "MZ_RET_S3_VERSIONING",
    "MZ_RET_RDS_BACKUP", "MZ_RET_RDS_DELETION_PROTECTION", "MZ_RET_DYNAMODB_PITR", "MZ_RET_LOGS",
    "MZ_TLS_ELBV2_LISTENER", "MZ_TLS_ELB_CLASSIC", "MZ_TLS_S3_POLICY", "MZ_TLS_CLOUDFRONT",
    "MZ_TLS_APIGW_DOMAIN", "MZ_TLS_RDS_FORCE_SSL",
}
HIPAA_ID = re.compile(r"^164\.3\d\d\([a-z]\)(\(\d+\))?(\([ivx]+\))?(\([A-Z]\))?$")


def test_catalogue_holds_the_contracted_policy_ids():
    assert {p.id for p in POLICIES} == CONTRACT_IDS
    assert {p.family for p in POLICIES} == set(FAMILIES)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_policy_metadata_and_files(policy):
    assert policy.path == POLICIES_DIR / policy.family / policy.id
    assert policy.severity in ("critical", "high", "medium", "low")
    assert policy.hipaa and all(HIPAA_ID.match(h) for h in policy.hipaa), policy.hipaa
    assert policy.resource_types and all(t.startswith("AWS::") for t in policy.resource_types)
    assert len(policy.risk) > 40 and len(policy.remediation) > 20
    assert all(r.startswith("https://") for r in policy.references)
    # exactly one check, and Checkov can load the folder (a Python check needs __init__.py)
    assert (policy.path / "check.py").exists() != (policy.path / "policy.yaml").exists()
    assert (policy.path / "__init__.py").exists()
    if policy.kind == "yaml":
        definition = yaml.safe_load(policy.check_file.read_text())
        assert definition["metadata"]["id"] == policy.id
        assert definition["metadata"]["name"] == policy.title
    else:
        assert "policy_file = __file__" in policy.check_file.read_text()
    assert policy.fixture("compliant").exists() and policy.fixture("non_compliant").exists()


def test_every_yaml_under_policies_loads_without_cloudformation_tags():
    # Checkov walks policies/ with yaml.safe_load: a `!Ref` in a fixture would crash its loader.
    for path in Path(POLICIES_DIR).rglob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text()), dict), path


def test_markdown_table_lists_every_policy_once():
    table = markdown_table()
    rows = [line for line in table.splitlines() if line.startswith("| `MZ_")]
    assert len(rows) == len(POLICIES)
    assert "| `MZ_KMS_S3` | kms | critical | 164.312(a)(2)(iv) |" in table


def test_readme_policy_table_is_generated_from_the_catalogue():
    readme = (REPO_ROOT / "README.md").read_text()
    match = re.search(r"<!-- BEGIN generated:policies -->(.*?)<!-- END generated:policies -->", readme, re.S)
    assert match, "README lacks the generated:policies markers"
    assert match.group(1).strip() == markdown_table().strip()
