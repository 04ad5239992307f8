"""The four templates deploy on the embedded AWS in the documented order, and what moto keeps
is what the templates say."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import boto3
import pytest

from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS, EmbeddedAws

pytestmark = [pytest.mark.moto, pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "smoke_deploy_templates.py"


def load_smoke_module():
    spec = importlib.util.spec_from_file_location("smoke_deploy_templates", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def deployed():
    smoke = load_smoke_module()
    with EmbeddedAws() as aws:
        results = smoke.deploy_medzen_stacks(aws.endpoint_url)
        results += smoke.deploy_chaos_stacks(aws.endpoint_url, results[1].outputs)

        def client(service: str, region: str):
            return boto3.client(service, region_name=region, endpoint_url=aws.endpoint_url,
                                **EMBEDDED_CREDENTIALS)

        yield results, client


def test_every_stack_is_created_in_its_region(deployed):
    results, _ = deployed
    assert [(r.name, r.region, r.status, r.failed_events) for r in results] == [
        ("medzen-global", "us-east-1", "CREATE_COMPLETE", []),
        ("medzen-ehrbase", "af-south-1", "CREATE_COMPLETE", []),
        ("medzen-ehrbase", "eu-west-1", "CREATE_COMPLETE", []),
        ("medzen-bedrock-ai", "eu-west-1", "CREATE_COMPLETE", []),
        ("medzen-bedrock-ai", "us-east-1", "CREATE_COMPLETE", []),
        ("medzen-bedrock-ai", "af-south-1", "CREATE_COMPLETE", []),
        ("medzen-chime-sdk", "eu-west-1", "CREATE_COMPLETE", []),
        ("medzen-chime-sdk", "af-south-1", "CREATE_COMPLETE", []),
        ("medzen-chaos-network", "af-south-1", "CREATE_COMPLETE", []),
        ("medzen-chaos-ecs", "af-south-1", "CREATE_COMPLETE", []),
        ("medzen-chaos-rds", "af-south-1", "CREATE_COMPLETE", []),
    ]
    assert {"AWS::FIS::ExperimentTemplate", "AWS::CloudWatch::Alarm"} <= results[-1].skipped_types
    assert "AWS::DynamoDB::GlobalTable" in results[0].skipped_types


def test_dr_database_is_an_encrypted_cross_region_replica_of_the_primary(deployed):
    results, client = deployed
    primary_arn = results[1].outputs["DbInstanceArn"]
    replica = client("rds", "eu-west-1").describe_db_instances(
        DBInstanceIdentifier=results[2].outputs["DbInstanceIdentifier"])["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary_arn
    assert replica["KmsKeyId"] == results[2].outputs["DatabaseKeyArn"]
    assert replica["StorageEncrypted"] is True
    primary = client("rds", "af-south-1").describe_db_instances(
        DBInstanceIdentifier=results[1].outputs["DbInstanceIdentifier"])["DBInstances"][0]
    assert (primary["DBInstanceClass"], primary["AllocatedStorage"], primary["MultiAZ"],
            primary["BackupRetentionPeriod"]) == ("db.r6g.large", 100, True, 7)


def test_alb_listeners_and_ecs_service_per_role(deployed):
    results, client = deployed
    for result, desired in ((results[1], 2), (results[2], 1)):
        elb = client("elbv2", result.region)
        listeners = elb.describe_listeners(LoadBalancerArn=result.outputs["AlbArn"])["Listeners"]
        by_port = {listener["Port"]: listener for listener in listeners}
        assert by_port[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert by_port[80]["DefaultActions"][0]["Type"] == "redirect"
        service = client("ecs", result.region).describe_services(
            cluster=result.outputs["ClusterName"], services=[result.outputs["ServiceName"]])["services"][0]
        assert service["desiredCount"] == desired


def test_route53_failover_records_and_health_checks(deployed):
    results, client = deployed
    route53 = client("route53", "us-east-1")
    records = route53.list_resource_record_sets(HostedZoneId=results[0].outputs["HostedZoneId"])
    ehr = {r["Failover"]: r for r in records["ResourceRecordSets"] if r["Name"].startswith("ehr.")}
    assert ehr["PRIMARY"]["HealthCheckId"] == results[0].outputs["EhrPrimaryHealthCheckId"]
    assert ehr["SECONDARY"]["SetIdentifier"] == "ehr-eu-west-1"


def test_phi_buckets_are_kms_encrypted_per_region(deployed):
    results, client = deployed
    for result in results[6:8]:
        s3 = client("s3", result.region)
        for key in ("RecordingsBucketName", "TranscriptsBucketName", "MedicalEntitiesBucketName"):
            bucket = result.outputs[key]
            assert result.region in bucket
            rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
            assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == result.outputs["ChimeKeyArn"]
