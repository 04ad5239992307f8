"""The aws implementations of the faults against the embedded AWS (moto server over HTTP):
API correctness only — moto moves FIS experiments through their states and accepts an RDS
reboot with failover without any effect (see medzen_harness/chaos/aws/emulation.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from medzen_harness.aws.embedded import EMBEDDED_ACCOUNT_ID, EMBEDDED_CREDENTIALS, EmbeddedAws
from medzen_harness.chaos.aws import fis
from medzen_harness.chaos.catalogue import get_fault
from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError

pytestmark = pytest.mark.moto
CHAOS = Path(__file__).resolve().parents[2] / "cloudformation" / "chaos"


class MotoTarget:
    """What the drill's AwsTarget provides (client per service and region), on the moto server."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url

    def client(self, service: str, region: str):
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url, **EMBEDDED_CREDENTIALS)


@pytest.fixture(scope="module")
def target():
    with EmbeddedAws() as server:
        yield MotoTarget(server.endpoint_url)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _template_id(target: MotoTarget) -> str:
    iam, cloudwatch, ec2 = (target.client(s, r) for s, r in (("iam", "us-east-1"), ("cloudwatch", "af-south-1"),
                                                               ("ec2", "af-south-1")))
    role = iam.create_role(RoleName=_unique("fis"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    alarm_name = _unique("guardrail")
    cloudwatch.put_metric_alarm(AlarmName=alarm_name, Namespace="MedZen/Drill", MetricName="GuardrailBreached",
                                Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]["AlarmArn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=c)["Subnet"]["SubnetId"] for c in ("10.0.2.0/24", "10.0.3.0/24")]
    values = {"AWS::Region": "af-south-1", "AWS::AccountId": EMBEDDED_ACCOUNT_ID, "FisRole.Arn": role,
              "GuardrailAlarm.Arn": alarm, "GuardrailAlarm.Name": alarm_name,
              "PrivateSubnetA": subnets[0], "PrivateSubnetB": subnets[1]}
    spec = fis.experiment_spec_from_template(CHAOS / "fis-network-disruption.yaml", values)
    return fis.create_experiment_template(target.client("fis", "af-south-1"), spec)


def test_region_outage_on_aws_runs_and_stops_its_fis_experiment(target):
    config = load_config()
    config["drill"]["aws"]["fis_templates"]["region-outage"] = _template_id(target)
    injection = get_fault("region-outage").aws(target, "af-south-1", {}, config)
    injection.inject()
    api = target.client("fis", "af-south-1")
    experiment = injection.experiment_id
    stored = api.get_experiment(id=experiment)["experiment"]
    assert stored["experimentTemplateId"] == config["drill"]["aws"]["fis_templates"]["region-outage"]
    assert fis.experiment_state(api, experiment) in ("running", "completed")  # moto moves on by itself
    injection.heal()
    assert fis.experiment_state(api, experiment) in ("stopping", "stopped", "completed")
    assert injection.experiment_id is None
    injection.heal()  # idempotent


def test_fis_fault_without_a_template_id_is_a_readable_error(target):
    injection = get_fault("network-partition").aws(target, "af-south-1", {}, load_config())
    with pytest.raises(HarnessError, match="set drill.aws.fis_templates.network-partition"):
        injection.inject()


def test_db_crash_on_aws_reboots_the_instance_with_failover(target):
    rds = target.client("rds", "af-south-1")
    instance = _unique("ehr")
    rds.create_db_instance(DBInstanceIdentifier=instance, Engine="postgres", DBInstanceClass="db.r6g.large",
                           AllocatedStorage=20, MultiAZ=True, MasterUsername="ehrbase",
                           MasterUserPassword="not-a-secret-pw")
    config = load_config()
    config["drill"]["aws"]["db_instance_ids"]["af-south-1"] = instance
    get_fault("db-crash").aws(target, "af-south-1", {}, config).inject()  # accepted (no effect on moto)
    config["drill"]["aws"]["db_instance_ids"]["af-south-1"] = "does-not-exist"
    with pytest.raises(Exception, match="not ?found|DBInstanceNotFound"):
        get_fault("db-crash").aws(target, "af-south-1", {}, config).inject()


def test_replication_lag_cannot_be_injected_on_aws(target):
    with pytest.raises(HarnessError, match="no delay control"):
        get_fault("replication-lag").aws(target, "af-south-1", {"delay_seconds": 1.0}, load_config()).inject()
