"""The AWS fault and runbook functions against the embedded AWS (moto server over HTTP), and
proof that every NOT_EMULATED entry is still a limitation of moto."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from medzen_harness.aws.embedded import EMBEDDED_ACCOUNT_ID, EMBEDDED_CREDENTIALS, EmbeddedAws
from medzen_harness.chaos.aws import actions, fis, probes
from medzen_harness.chaos.aws.api_fault_proxy import RegionApiFaultProxy
from medzen_harness.chaos.aws.emulation import NOT_EMULATED
from medzen_harness.errors import HarnessError

pytestmark = pytest.mark.moto

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # max_attempts=1 still retries once
CHAOS = Path(__file__).resolve().parents[2] / "cloudformation" / "chaos"
Client = Callable[..., Any]
PROVED: set[str] = set()


def proves(effect_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Marks a test as the proof that `effect_id` is still not emulated."""
    PROVED.add(effect_id)
    return lambda test: test


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as server:
        yield server


@pytest.fixture(scope="module")
def client(aws: EmbeddedAws) -> Client:
    def make(service: str, region: str, endpoint_url: str | None = None) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint_url or aws.endpoint_url,
                            config=NO_RETRIES, **EMBEDDED_CREDENTIALS)
    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- RDS

@pytest.fixture
def primary_and_replica(client: Client) -> tuple[str, str]:
    """A Multi-AZ encrypted primary in af-south-1 and its cross-region replica in eu-west-1."""
    primary_id, replica_id = unique("ehr-primary"), unique("ehr-replica")
    primary = client("rds", "af-south-1").create_db_instance(
        DBInstanceIdentifier=primary_id, Engine="postgres", DBInstanceClass="db.r6g.large",
        AllocatedStorage=100, StorageType="gp3", MultiAZ=True, StorageEncrypted=True,
        MasterUsername="ehrbase", MasterUserPassword="not-a-secret-pw", BackupRetentionPeriod=7)["DBInstance"]
    key = client("kms", "eu-west-1").create_key()["KeyMetadata"]["Arn"]
    client("rds", "eu-west-1").create_db_instance_read_replica(
        DBInstanceIdentifier=replica_id, SourceDBInstanceIdentifier=primary["DBInstanceArn"],
        DBInstanceClass="db.r6g.large", KmsKeyId=key)
    return primary_id, replica_id


def test_replica_probes_see_the_cross_region_replica(client: Client, primary_and_replica: tuple[str, str]) -> None:
    primary_id, replica_id = primary_and_replica
    rds_eu, rds_af = client("rds", "eu-west-1"), client("rds", "af-south-1")
    assert probes.db_is_replica(rds_eu, replica_id) is True
    assert probes.db_is_replica(rds_af, primary_id) is False
    assert probes.db_instance_status(rds_eu, replica_id) == "available"
    assert 0 <= probes.wait_db_available(rds_eu, replica_id, timeout_seconds=5, poll_seconds=0.1) < 5


@proves("rds-promote-read-replica")
def test_promote_read_replica_is_accepted_but_not_emulated(client: Client,
                                                            primary_and_replica: tuple[str, str]) -> None:
    primary_id, replica_id = primary_and_replica
    rds_eu = client("rds", "eu-west-1")
    actions.promote_read_replica(rds_eu, replica_id)  # AWS accepted the call ...
    # ... but on moto the replica stays a replica, never modifies, and the source keeps it
    assert probes.db_is_replica(rds_eu, replica_id) is True
    assert probes.db_instance_status(rds_eu, replica_id) == "available"
    source = client("rds", "af-south-1").describe_db_instances(DBInstanceIdentifier=primary_id)["DBInstances"][0]
    assert any(replica_id in arn for arn in source["ReadReplicaDBInstanceIdentifiers"])
    with pytest.raises(HarnessError, match="promoted and available"):
        probes.wait_db_promoted(rds_eu, replica_id, timeout_seconds=0.5, poll_seconds=0.1)


def test_promoting_a_primary_is_refused(client: Client, primary_and_replica: tuple[str, str]) -> None:
    with pytest.raises(HarnessError, match="not a read replica"):
        actions.promote_read_replica(client("rds", "af-south-1"), primary_and_replica[0])


@proves("rds-reboot-force-failover")
def test_reboot_with_failover_is_accepted_but_not_emulated(client: Client,
                                                            primary_and_replica: tuple[str, str]) -> None:
    primary_id, _ = primary_and_replica
    rds = client("rds", "af-south-1")
    before = rds.describe_db_instances(DBInstanceIdentifier=primary_id)["DBInstances"][0]
    actions.reboot_db_instance(rds, primary_id, force_failover=True)
    after = rds.describe_db_instances(DBInstanceIdentifier=primary_id)["DBInstances"][0]
    assert after["DBInstanceStatus"] == "available"
    assert after["AvailabilityZone"] == before["AvailabilityZone"]
    events = rds.describe_events(SourceIdentifier=primary_id, SourceType="db-instance")["Events"]
    assert not [e for e in events if "reboot" in e["Message"].lower() or "failover" in e["Message"].lower()]


def test_unknown_db_instance_is_an_aws_error(client: Client) -> None:
    with pytest.raises(ClientError, match="DBInstanceNotFound"):
        probes.db_instance_status(client("rds", "af-south-1"), "no-such-db")


# ---------------------------------------------------------------- ECS

@pytest.fixture
def ecs_service(client: Client) -> tuple[str, str]:
    ecs = client("ecs", "eu-west-1")
    cluster, service = unique("medzen-ehrbase"), "medzen-ehrbase"
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(
        family="medzen-ehrbase", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="2048",
        memory="4096", containerDefinitions=[{"name": "ehrbase", "image": "ehrbase/ehrbase:2.0.0", "cpu": 2048, "memory": 4096,
                                              "portMappings": [{"containerPort": 8080}]}])
    ecs.create_service(cluster=cluster, serviceName=service, desiredCount=1, launchType="FARGATE",
                       taskDefinition=task["taskDefinition"]["taskDefinitionArn"])
    return cluster, service


def test_scale_service_to_full_capacity(client: Client, ecs_service: tuple[str, str]) -> None:
    cluster, service = ecs_service
    ecs = client("ecs", "eu-west-1")
    assert probes.service_counts(ecs, cluster, service)["desired"] == 1
    actions.scale_service(ecs, cluster, service, 4)
    assert probes.service_counts(ecs, cluster, service) == {"desired": 4, "running": 4, "pending": 0}
    assert 0 <= probes.wait_service_stable(ecs, cluster, service, timeout_seconds=5, poll_seconds=0.1) < 5


def test_scale_service_rejects_nonsense_counts(client: Client, ecs_service: tuple[str, str]) -> None:
    with pytest.raises(HarnessError, match="desired_count"):
        actions.scale_service(client("ecs", "eu-west-1"), *ecs_service, -1)


def test_wait_service_stable_times_out_while_tasks_are_missing(client: Client, ecs_service: tuple[str, str]) -> None:
    cluster, service = ecs_service  # created with desired 1: moto reports running 0, pending 1
    with pytest.raises(HarnessError, match="running == desired"):
        probes.wait_service_stable(client("ecs", "eu-west-1"), cluster, service, timeout_seconds=0.4, poll_seconds=0.1)


def test_stop_tasks_stops_every_running_task(client: Client, ecs_service: tuple[str, str]) -> None:
    cluster, service = ecs_service
    ecs = client("ecs", "eu-west-1")
    ec2 = client("ec2", "eu-west-1")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    ecs.run_task(cluster=cluster, taskDefinition="medzen-ehrbase", count=2, launchType="FARGATE",
                 startedBy=f"ecs-svc/{service}",
                 networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})
    assert actions.stop_tasks(ecs, cluster, service) == 2
    assert ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"] == []


@proves("ecs-service-tasks")
def test_ecs_services_run_no_tasks_on_moto(client: Client, ecs_service: tuple[str, str]) -> None:
    cluster, service = ecs_service
    ecs = client("ecs", "eu-west-1")
    assert ecs.list_tasks(cluster=cluster)["taskArns"] == []
    assert actions.stop_tasks(ecs, cluster, service) == 0
    actions.scale_service(ecs, cluster, service, 3)
    assert probes.service_counts(ecs, cluster, service)["running"] == 3  # instantly, with no task
    assert ecs.list_tasks(cluster=cluster)["taskArns"] == []


# ---------------------------------------------------------------- Route 53

@pytest.fixture
def failover_zone(client: Client) -> dict[str, str]:
    route53 = client("route53", "us-east-1")
    zone_id = route53.create_hosted_zone(Name="medzen.example.com", CallerReference=unique("zone"))["HostedZone"]["Id"]
    checks = {}
    for role, host in (("PRIMARY", "ehr-af-south-1.origin.medzen.example.com"),
                       ("SECONDARY", "ehr-eu-west-1.origin.medzen.example.com")):
        checks[role] = route53.create_health_check(CallerReference=unique("hc"), HealthCheckConfig={
            "Type": "HTTPS", "FullyQualifiedDomainName": host, "Port": 443,
            "ResourcePath": "/ehrbase/rest/status"})["HealthCheck"]["Id"]
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": "ehr.medzen.example.com", "Type": "CNAME", "TTL": 60, "Failover": role,
                "SetIdentifier": f"ehr-{role.lower()}", "HealthCheckId": checks[role],
                "ResourceRecords": [{"Value": host}]}}]})
    return {"zone_id": zone_id, "primary_check": checks["PRIMARY"], "secondary_check": checks["SECONDARY"]}


def test_failover_records_are_read_back(client: Client, failover_zone: dict[str, str]) -> None:
    records = probes.failover_records(client("route53", "us-east-1"), failover_zone["zone_id"], "ehr.medzen.example.com")
    assert records["PRIMARY"] == {"target": "ehr-af-south-1.origin.medzen.example.com",
                                  "health_check_id": failover_zone["primary_check"], "set_identifier": "ehr-primary"}
    assert records["SECONDARY"]["target"] == "ehr-eu-west-1.origin.medzen.example.com"


def test_inverting_the_health_check_forces_failover_and_back(client: Client, failover_zone: dict[str, str]) -> None:
    route53 = client("route53", "us-east-1")
    check = failover_zone["primary_check"]
    assert probes.health_check_status(route53, check) == "healthy"
    actions.set_health_check_inverted(route53, check, True)
    assert route53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True
    assert probes.health_check_status(route53, check) == "unhealthy"
    actions.set_health_check_inverted(route53, check, False)
    assert probes.health_check_status(route53, check) == "healthy"


@proves("route53-health-checkers")
def test_route53_checkers_report_success_for_a_dead_endpoint(client: Client) -> None:
    route53 = client("route53", "us-east-1")
    check = route53.create_health_check(CallerReference=unique("hc"), HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": "nothing-here.invalid", "Port": 443,
        "ResourcePath": "/ehrbase/rest/status"})["HealthCheck"]["Id"]
    assert probes.health_check_status(route53, check) == "healthy"


@proves("route53-dns-answer")
def test_route53_dns_answers_are_not_served(client: Client, failover_zone: dict[str, str]) -> None:
    with pytest.raises(ClientError) as error:
        probes.failover_record_target(client("route53", "us-east-1"), failover_zone["zone_id"], "ehr.medzen.example.com")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ---------------------------------------------------------------- FIS

@pytest.fixture
def fis_values(client: Client) -> dict[str, str]:
    """What the chaos templates refer to, created on moto: FIS role, guardrail alarm, subnets."""
    iam, cloudwatch, ec2 = client("iam", "us-east-1"), client("cloudwatch", "af-south-1"), client("ec2", "af-south-1")
    role = iam.create_role(RoleName=unique("fis"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    alarm_name = unique("medzen-drill-guardrail")
    cloudwatch.put_metric_alarm(AlarmName=alarm_name, Namespace="MedZen/Drill", MetricName="GuardrailBreached",
                                Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]["AlarmArn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"] for cidr in ("10.0.2.0/24", "10.0.3.0/24")]
    return {"AWS::Region": "af-south-1", "AWS::AccountId": EMBEDDED_ACCOUNT_ID, "FisRole.Arn": role,
            "GuardrailAlarm.Arn": alarm, "GuardrailAlarm.Name": alarm_name,
            "PrivateSubnetA": subnets[0], "PrivateSubnetB": subnets[1]}


@pytest.mark.parametrize(("template", "action_id"), [
    ("fis-network-disruption.yaml", "aws:network:disrupt-connectivity"),
    ("fis-ecs-stop-task.yaml", "aws:ecs:stop-task"),
    ("fis-rds-reboot-failover.yaml", "aws:rds:reboot-db-instances"),
])
def test_chaos_templates_create_start_and_finish_on_moto(client: Client, fis_values: dict[str, str],
                                                         template: str, action_id: str) -> None:
    api = client("fis", "af-south-1")
    spec = fis.experiment_spec_from_template(CHAOS / template, fis_values)
    template_id = fis.create_experiment_template(api, spec)
    stored = api.get_experiment_template(id=template_id)["experimentTemplate"]
    assert [a["actionId"] for a in stored["actions"].values()] == [action_id]
    assert stored["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": fis_values["GuardrailAlarm.Arn"]}]
    experiment_id = fis.start_experiment(api, template_id, tags={"Drill": "test"})
    assert fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05, until=("running",)) == "running"
    assert fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05) == "completed"


def test_stop_experiment_stops_a_running_experiment(client: Client, fis_values: dict[str, str]) -> None:
    api = client("fis", "af-south-1")
    template_id = fis.create_experiment_template(
        api, fis.experiment_spec_from_template(CHAOS / "fis-ecs-stop-task.yaml", fis_values))
    experiment_id = fis.start_experiment(api, template_id)
    fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05, until=("running",))
    assert fis.stop_experiment(api, experiment_id) == "stopping"
    assert fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05) == "stopped"


def moto_api(aws: EmbeddedAws, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{aws.endpoint_url}/moto-api/state-manager/{path}",
                                     data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201 or response.status == 200


def test_wait_experiment_times_out_and_stops_the_experiment(aws: EmbeddedAws, client: Client,
                                                            fis_values: dict[str, str]) -> None:
    api = client("fis", "af-south-1")
    template_id = fis.create_experiment_template(
        api, fis.experiment_spec_from_template(CHAOS / "fis-rds-reboot-failover.yaml", fis_values))
    moto_api(aws, "set-transition", {"model_name": "fis::experiment",
                                     "transition": {"progression": "manual", "times": 1000}})
    try:
        experiment_id = fis.start_experiment(api, template_id)
        with pytest.raises(HarnessError, match="not reached within 0.3 s"):
            fis.wait_experiment(api, experiment_id, timeout_seconds=0.3, poll_seconds=0.05)
        assert api.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopping"
    finally:
        moto_api(aws, "unset-transition", {"model_name": "fis::experiment"})


def test_create_experiment_template_rejects_an_incomplete_spec(client: Client) -> None:
    with pytest.raises(HarnessError, match="stopConditions"):
        fis.create_experiment_template(client("fis", "af-south-1"),
                                       {"description": "x", "roleArn": "arn:aws:iam::1:role/x", "actions": {"a": {}}})


@proves("fis-actions")
def test_fis_network_disruption_leaves_the_subnets_untouched(client: Client, fis_values: dict[str, str]) -> None:
    ec2, api = client("ec2", "af-south-1"), client("fis", "af-south-1")

    def acl_of(subnet: str) -> str:
        acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        return acls["NetworkAcls"][0]["NetworkAclId"]

    before = {s: acl_of(fis_values[s]) for s in ("PrivateSubnetA", "PrivateSubnetB")}
    template_id = fis.create_experiment_template(
        api, fis.experiment_spec_from_template(CHAOS / "fis-network-disruption.yaml", fis_values))
    experiment_id = fis.start_experiment(api, template_id)
    assert fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05, until=("running",)) == "running"
    assert {s: acl_of(fis_values[s]) for s in before} == before  # real FIS swaps in a deny-all ACL
    fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05)


@proves("cloudwatch-alarm-evaluation")
def test_a_breaching_guardrail_neither_alarms_nor_stops_the_experiment(client: Client,
                                                                      fis_values: dict[str, str]) -> None:
    cloudwatch, api = client("cloudwatch", "af-south-1"), client("fis", "af-south-1")
    template_id = fis.create_experiment_template(
        api, fis.experiment_spec_from_template(CHAOS / "fis-ecs-stop-task.yaml", fis_values))
    experiment_id = fis.start_experiment(api, template_id)
    cloudwatch.put_metric_data(Namespace="MedZen/Drill", MetricData=[{"MetricName": "GuardrailBreached", "Value": 1}])
    state = cloudwatch.describe_alarms(AlarmNames=[fis_values["GuardrailAlarm.Name"]])["MetricAlarms"][0]["StateValue"]
    assert state != "ALARM"
    assert fis.wait_experiment(api, experiment_id, timeout_seconds=5, poll_seconds=0.05) == "completed"


def test_every_not_emulated_entry_has_a_proof() -> None:
    assert {entry.id for entry in NOT_EMULATED} == PROVED


# ---------------------------------------------------------------- api-errors proxy

def error_of(call: Callable[[], Any]) -> tuple[int, str]:
    try:
        call()
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]
    return 200, ""


def test_proxy_fails_one_region_and_heals(aws: EmbeddedAws, client: Client) -> None:
    with RegionApiFaultProxy(aws.endpoint_url) as proxy:
        rds = {r: client("rds", r, proxy.endpoint_url) for r in ("af-south-1", "eu-west-1")}
        assert error_of(rds["af-south-1"].describe_db_instances) == (200, "")
        proxy.fail_region("af-south-1")
        assert proxy.failed_regions == {"af-south-1": 503}
        assert error_of(rds["af-south-1"].describe_db_instances) == (503, "ServiceUnavailable")
        assert error_of(rds["eu-west-1"].describe_db_instances) == (200, "")
        proxy.heal()
        assert error_of(rds["af-south-1"].describe_db_instances) == (200, "")
        assert proxy.failed["af-south-1"] == 1
        assert proxy.forwarded["af-south-1"] == 2 and proxy.forwarded["eu-west-1"] == 1


@pytest.mark.parametrize(("service", "region", "call"), [
    ("ecs", "af-south-1", lambda c: c.list_clusters()),                    # JSON
    ("fis", "af-south-1", lambda c: c.list_experiment_templates()),        # REST-JSON GET
    ("s3", "af-south-1", lambda c: c.list_buckets()),                      # REST-XML
    ("route53", "us-east-1", lambda c: c.list_hosted_zones()),             # REST-XML, global
    ("sns", "af-south-1", lambda c: c.list_topics()),                      # query XML
    ("dynamodb", "af-south-1", lambda c: c.list_tables()),                 # JSON 1.0
])
def test_proxy_error_is_parsed_by_botocore_for_every_protocol(aws: EmbeddedAws, client: Client, service: str,
                                                              region: str, call: Callable[[Any], Any]) -> None:
    with RegionApiFaultProxy(aws.endpoint_url) as proxy:
        api = client(service, region, proxy.endpoint_url)
        assert error_of(lambda: call(api)) == (200, "")
        proxy.fail_region(region, status=503)
        assert error_of(lambda: call(api)) == (503, "ServiceUnavailable")
        proxy.heal(region)
        assert error_of(lambda: call(api)) == (200, "")


def test_proxy_forwards_writes_unchanged(aws: EmbeddedAws, client: Client) -> None:
    with RegionApiFaultProxy(aws.endpoint_url) as proxy:
        s3 = client("s3", "eu-west-1", proxy.endpoint_url)
        bucket = unique("medzen-proxy")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        body = bytes(range(256)) * 1024
        s3.put_object(Bucket=bucket, Key="recording.bin", Body=body)
        assert s3.get_object(Bucket=bucket, Key="recording.bin")["Body"].read() == body
        proxy.fail_region("af-south-1")  # another region's fault does not touch eu-west-1
        assert client("s3", "eu-west-1").head_object(Bucket=bucket, Key="recording.bin")["ContentLength"] == len(body)
        assert s3.head_object(Bucket=bucket, Key="recording.bin")["ContentLength"] == len(body)


def test_proxy_forwards_unsigned_requests_and_frees_its_port(aws: EmbeddedAws) -> None:
    import socket

    proxy = RegionApiFaultProxy(aws.endpoint_url).start()
    try:
        port = int(proxy.endpoint_url.rsplit(":", 1)[1])
        url = f"{proxy.endpoint_url}/moto-api/state-manager/get-transition?model_name=fis::experiment"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        assert proxy.forwarded["unsigned"] == 1
    finally:
        proxy.stop()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
    with pytest.raises(HarnessError, match="not running"):
        _ = proxy.endpoint_url
