"""The four MedZen templates: they parse, cfn-lint is silent, PHI resources are tagged, and the
architecture's numbers are really in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_all
from cfnlint.decode import decode

CLOUDFORMATION = Path(__file__).resolve().parents[2] / "cloudformation"
TEMPLATES = ["global-infrastructure.yaml", "ehrbase-multi-region.yaml",
             "bedrock-ai-multi-region.yaml", "chime-sdk-multi-region.yaml"]
PHI_TYPES = {"AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::Logs::LogGroup"}


def load(name: str) -> dict[str, Any]:
    template, matches = decode(str(CLOUDFORMATION / name))
    assert template is not None, matches
    return template


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def tags(properties: dict[str, Any]) -> dict[str, Any]:
    return {t["Key"]: t["Value"] for t in properties.get("Tags", [])}


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_parses_and_cfn_lint_is_silent(name: str) -> None:
    load(name)
    matches = lint_all((CLOUDFORMATION / name).read_text())
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []  # errors and warnings; I* = info


def test_cfn_lint_would_report_a_broken_template() -> None:
    broken = (CLOUDFORMATION / "ehrbase-multi-region.yaml").read_text().replace(
        "SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06", "SslPolicy: [not, a, string]")
    assert [m for m in lint_all(broken) if m.rule.id[0] == "E"], "the lint test must be able to fail"


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_phi_holding_resource_is_tagged_phi(name: str) -> None:
    template = load(name)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in PHI_TYPES:
            assert tags(resource["Properties"]).get("DataClassification") == "PHI", logical_id
    for replica in props(template, "AuditLogTable")["Replicas"] if name.startswith("global") else []:
        assert tags(replica)["DataClassification"] == "PHI"


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_kms_key_rotates_and_has_a_json_string_policy(name: str) -> None:
    keys = resources(load(name), "AWS::KMS::Key")
    assert keys
    for logical_id, key in keys.items():
        assert key["Properties"]["EnableKeyRotation"] is True, logical_id
        assert "Fn::Sub" in key["Properties"]["KeyPolicy"], "moto serves KMS only for string policies"


def test_network_matches_the_architecture() -> None:
    t = load("ehrbase-multi-region.yaml")
    assert props(t, "Vpc")["CidrBlock"] == "10.0.0.0/16"
    cidrs = {k: v["Properties"]["CidrBlock"] for k, v in resources(t, "AWS::EC2::Subnet").items()}
    assert cidrs == {"PublicSubnetA": "10.0.0.0/24", "PublicSubnetB": "10.0.1.0/24",
                     "PrivateSubnetA": "10.0.2.0/24", "PrivateSubnetB": "10.0.3.0/24"}
    assert props(t, "PublicSubnetA")["AvailabilityZone"] != props(t, "PublicSubnetB")["AvailabilityZone"]


def ingress(t: dict[str, Any], sg: str) -> list[tuple[int, int, Any]]:
    return [(r["FromPort"], r["ToPort"], r.get("CidrIp") or r.get("SourceSecurityGroupId"))
            for r in props(t, sg)["SecurityGroupIngress"]]


def test_security_groups_match_the_architecture_table() -> None:
    t = load("ehrbase-multi-region.yaml")
    assert ingress(t, "AlbSecurityGroup") == [(80, 80, "0.0.0.0/0"), (443, 443, "0.0.0.0/0")]
    assert ingress(t, "EcsSecurityGroup") == [(8080, 8080, {"Ref": "AlbSecurityGroup"})]
    assert ingress(t, "RdsSecurityGroup") == [(5432, 5432, {"Ref": "EcsSecurityGroup"})]


def test_database_matches_the_architecture() -> None:
    t = load("ehrbase-multi-region.yaml")
    primary = props(t, "PrimaryDb")
    assert (primary["Engine"], primary["AllocatedStorage"], primary["StorageType"]) == ("postgres", "100", "gp3")
    assert t["Parameters"]["DbInstanceClass"]["Default"] == "db.r6g.large"
    assert primary["MultiAZ"] is True and primary["StorageEncrypted"] is True
    for db in ("PrimaryDb", "ReplicaDb"):
        assert props(t, db)["KmsKeyId"] == {"Fn::GetAtt": ["DatabaseKey", "Arn"]}
        assert props(t, db)["BackupRetentionPeriod"] == 7
        assert props(t, db)["DeletionProtection"] is True
    assert props(t, "ReplicaDb")["SourceDBInstanceIdentifier"] == {"Ref": "PrimaryDbInstanceArn"}
    assert t["Resources"]["ReplicaDb"]["Condition"] == "IsDr"
    assert t["Resources"]["PrimaryDb"]["Condition"] == "IsPrimary"
    assert props(t, "DbParameterGroup")["Parameters"] == {"rds.force_ssl": "1"}


def test_ecs_matches_the_architecture() -> None:
    t = load("ehrbase-multi-region.yaml")
    task = props(t, "TaskDefinition")
    assert (task["Cpu"], task["Memory"], task["RequiresCompatibilities"]) == ("2048", "4096", ["FARGATE"])
    assert t["Parameters"]["EhrbaseImage"]["Default"].startswith("ehrbase/ehrbase")
    assert task["ContainerDefinitions"][0]["PortMappings"][0]["ContainerPort"] == 8080
    assert props(t, "Service")["DesiredCount"] == {"Fn::If": ["IsPrimary", 2, 1]}
    scaling = props(t, "ScalableTarget")
    assert (scaling["MinCapacity"], scaling["MaxCapacity"]) == ({"Fn::If": ["IsPrimary", 2, 1]}, 4)
    assert props(t, "TargetGroup")["HealthCheckPath"] == "/ehrbase/rest/status"


def test_load_balancer_is_https_only() -> None:
    t = load("ehrbase-multi-region.yaml")
    https = props(t, "HttpsListener")
    assert (https["Protocol"], https["Port"], https["SslPolicy"]) == (
        "HTTPS", 443, "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["Certificates"]
    http = props(t, "HttpRedirectListener")
    assert http["DefaultActions"] == [{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    assert props(t, "LoadBalancer")["Scheme"] == "internet-facing"


def alarm(t: dict[str, Any], logical_id: str) -> tuple[str, str, float, int, str]:
    a = props(t, logical_id)
    return a["MetricName"], a["Statistic"], a["Threshold"], a["Period"], a["ComparisonOperator"]


def test_alarm_thresholds_match_the_architecture() -> None:
    ehr = load("ehrbase-multi-region.yaml")
    assert alarm(ehr, "EcsCpuHighAlarm") == ("CPUUtilization", "Average", 85, 60, "GreaterThanThreshold")
    assert alarm(ehr, "EcsMemoryHighAlarm") == ("MemoryUtilization", "Average", 90, 60, "GreaterThanThreshold")
    assert alarm(ehr, "DbConnectionsHighAlarm")[:3] == ("DatabaseConnections", "Average", 80)
    assert {"Ref": "ScaleOutPolicy"} in props(ehr, "EcsCpuHighAlarm")["AlarmActions"]
    ai = load("bedrock-ai-multi-region.yaml")
    assert alarm(ai, "ChatHandlerErrorsAlarm") == ("Errors", "Sum", 5, 300, "GreaterThanThreshold")
    assert alarm(ai, "ChatHandlerThrottlesAlarm") == ("Throttles", "Sum", 1, 300, "GreaterThanThreshold")


@pytest.mark.parametrize(("name", "log_group"), [
    ("ehrbase-multi-region.yaml", "/ecs/${EnvironmentName}-ehrbase"),
    ("bedrock-ai-multi-region.yaml", "/aws/lambda/${EnvironmentName}-ai-chat-handler"),
    ("bedrock-ai-multi-region.yaml", "/aws/apigateway/${EnvironmentName}-ai-api"),
    ("chime-sdk-multi-region.yaml", "/aws/lambda/${EnvironmentName}-meeting-manager"),
])
def test_log_groups_are_named_encrypted_and_kept_30_to_90_days(name: str, log_group: str) -> None:
    t = load(name)
    groups = [p for p in (g["Properties"] for g in resources(t, "AWS::Logs::LogGroup").values())
              if p["LogGroupName"] == {"Fn::Sub": log_group}]
    assert len(groups) == 1
    assert "Fn::GetAtt" in groups[0]["KmsKeyId"]
    days = groups[0]["RetentionInDays"]
    days = t["Parameters"][days["Ref"]]["Default"] if isinstance(days, dict) else days
    assert 30 <= days <= 90
    assert t["Parameters"]["EnvironmentName"]["Default"] == "medzen"


def test_phi_buckets_keep_7_years_encrypted_and_tls_only() -> None:
    t = load("chime-sdk-multi-region.yaml")
    buckets = resources(t, "AWS::S3::Bucket")
    assert {b["Properties"]["BucketName"]["Fn::Sub"].split("-$")[0] for b in buckets.values()} == {
        "${EnvironmentName}-recordings", "${EnvironmentName}-transcripts", "${EnvironmentName}-medical-entities"}
    retention = t["Parameters"]["RetentionDays"]
    assert retention["Default"] >= 2555 and retention["MinValue"] >= 2555
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
                for p in resources(t, "AWS::S3::BucketPolicy").values()}
    for logical_id, bucket in buckets.items():
        p = bucket["Properties"]
        sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["ChimeKey", "Arn"]}}
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}
        assert all(p["PublicAccessBlockConfiguration"].values())
        rule = p["LifecycleConfiguration"]["Rules"][0]
        assert rule["ExpirationInDays"] == rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == {
            "Ref": "RetentionDays"}
        deny = policies[logical_id]["Statement"][0]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_global_routing_health_checks_and_audit_log() -> None:
    t = load("global-infrastructure.yaml")
    paths = sorted(h["Properties"]["HealthCheckConfig"]["ResourcePath"]
                   for h in resources(t, "AWS::Route53::HealthCheck").values())
    assert paths == ["/ehrbase/rest/status"] * 2 + ["/health"] * 4
    failover = {(r["Properties"]["Name"]["Fn::Sub"], r["Properties"]["Failover"], r["Properties"]["SetIdentifier"])
                for r in resources(t, "AWS::Route53::RecordSet").values()}
    assert ("ehr.${DomainName}", "PRIMARY", "ehr-af-south-1") in failover
    assert ("ehr.${DomainName}", "SECONDARY", "ehr-eu-west-1") in failover
    assert {name for name, _, _ in failover} == {"ehr.${DomainName}", "ai.${DomainName}", "meetings.${DomainName}"}
    roles = {r["Properties"]["RoleName"]["Fn::Sub"] for r in resources(t, "AWS::IAM::Role").values()}
    assert roles == {"${EnvironmentName}-lambda-execution", "${EnvironmentName}-ecs-task-execution",
                     "${EnvironmentName}-s3-replication", "${EnvironmentName}-rds-monitoring"}
    table = props(t, "AuditLogTable")
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert sorted(r["Region"] for r in table["Replicas"]) == ["af-south-1", "eu-west-1", "us-east-1"]
    for replica in table["Replicas"]:
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert "KMSMasterKeyId" in replica["SSESpecification"]


def test_api_custom_domains_require_tls_1_2() -> None:
    for name in ("bedrock-ai-multi-region.yaml", "chime-sdk-multi-region.yaml"):
        assert props(load(name), "ApiDomain")["SecurityPolicy"] == "TLS_1_2"
