"""Pure parts of medzen_harness.chaos.aws: FIS templates and their translation to the API spec,
SigV4 region parsing and error bodies of the API fault proxy, bounded polling, the
not-emulated catalogue."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from cfnlint.api import lint
from cfnlint.decode import decode

from medzen_harness.chaos.aws import fis
from medzen_harness.chaos.aws.api_fault_proxy import RegionApiFaultProxy, error_response, region_and_service
from medzen_harness.chaos.aws.emulation import NOT_EMULATED, markdown_table, not_emulated
from medzen_harness.chaos.aws.polling import poll_until
from medzen_harness.errors import HarnessError

CHAOS = Path(__file__).resolve().parents[2] / "cloudformation" / "chaos"
FIS_TEMPLATES = {"fis-network-disruption.yaml": "aws:network:disrupt-connectivity",
                 "fis-ecs-stop-task.yaml": "aws:ecs:stop-task",
                 "fis-rds-reboot-failover.yaml": "aws:rds:reboot-db-instances"}
VALUES = {"AWS::Region": "af-south-1", "AWS::AccountId": "123456789012",
          "FisRole.Arn": "arn:aws:iam::123456789012:role/fis", "GuardrailAlarm.Arn": "arn:aws:cloudwatch:af-south-1:123456789012:alarm:g",
          "PrivateSubnetA": "subnet-a", "PrivateSubnetB": "subnet-b"}


@pytest.mark.parametrize(("name", "action_id"), FIS_TEMPLATES.items())
def test_fis_templates_are_lint_clean_with_alarm_stop_condition_and_role(name: str, action_id: str) -> None:
    # the template's Metadata names its regions (FIS is not in every region)
    assert [str(m) for m in lint((CHAOS / name).read_text()) if m.rule.id[0] in "EW"] == []
    template, _ = decode(str(CHAOS / name))
    assert template["Metadata"]["cfn-lint"]["config"]["regions"] == ["af-south-1", "eu-west-1", "us-east-1"]
    experiment = template["Resources"]["ExperimentTemplate"]["Properties"]
    assert [a["ActionId"] for a in experiment["Actions"].values()] == [action_id]
    assert experiment["StopConditions"] == [{"Source": "aws:cloudwatch:alarm", "Value": {"Fn::GetAtt": ["GuardrailAlarm", "Arn"]}}]
    assert experiment["RoleArn"] == {"Fn::GetAtt": ["FisRole", "Arn"]}
    assert template["Resources"]["FisRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "fis.amazonaws.com"}


def test_network_disruption_spec_targets_the_primary_subnets() -> None:
    spec = fis.experiment_spec_from_template(CHAOS / "fis-network-disruption.yaml", VALUES)
    assert spec["roleArn"] == VALUES["FisRole.Arn"]
    assert spec["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": VALUES["GuardrailAlarm.Arn"]}]
    assert spec["targets"] == {"PrimarySubnets": {
        "resourceType": "aws:ec2:subnet", "selectionMode": "ALL",
        "resourceArns": ["arn:aws:ec2:af-south-1:123456789012:subnet/subnet-a",
                         "arn:aws:ec2:af-south-1:123456789012:subnet/subnet-b"]}}
    action = spec["actions"]["DisruptConnectivity"]
    assert action["parameters"] == {"duration": "PT10M", "scope": "all"}  # parameter default used
    assert action["targets"] == {"Subnets": "PrimarySubnets"}
    assert spec["experimentOptions"] == {"accountTargeting": "single-account", "emptyTargetResolutionMode": "fail"}
    assert spec["tags"] == {"Name": "medzen-network-disruption", "Fault": "network-partition"}


def test_rds_spec_forces_failover_and_ecs_spec_selects_the_service() -> None:
    rds = fis.experiment_spec_from_template(CHAOS / "fis-rds-reboot-failover.yaml", VALUES)
    assert rds["actions"]["RebootWithFailover"]["parameters"] == {"forceFailover": "true"}
    assert rds["targets"]["PrimaryDatabase"]["resourceArns"] == [
        "arn:aws:rds:af-south-1:123456789012:db:medzen-ehrbase-af-south-1"]
    ecs = fis.experiment_spec_from_template(CHAOS / "fis-ecs-stop-task.yaml", {**VALUES, "ServiceName": "svc"})
    assert ecs["targets"]["EhrbaseTasks"]["parameters"] == {"cluster": "medzen-ehrbase", "service": "svc"}


def test_spec_names_what_is_missing() -> None:
    values = {k: v for k, v in VALUES.items() if k != "PrivateSubnetB"}
    with pytest.raises(HarnessError, match="'PrivateSubnetB'"):
        fis.experiment_spec_from_template(CHAOS / "fis-network-disruption.yaml", values)


def test_spec_rejects_other_templates_and_intrinsics(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no AWS::FIS::ExperimentTemplate"):
        fis.experiment_spec_from_template(CHAOS.parent / "global-infrastructure.yaml", VALUES)
    odd = tmp_path / "odd.yaml"
    odd.write_text("Resources:\n  ExperimentTemplate:\n    Type: AWS::FIS::ExperimentTemplate\n    Properties:\n"
                   "      Description: !Join ['', [a, b]]\n")
    with pytest.raises(HarnessError, match="Fn::Join is not supported"):
        fis.experiment_spec_from_template(odd, VALUES)


AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20261125/af-south-1/rds/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc")


def test_region_comes_from_the_sigv4_credential_scope() -> None:
    assert region_and_service({"Authorization": AUTH}, "/") == ("af-south-1", "rds")
    presigned = "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=testing%2F20261125%2Feu-west-1%2Fs3%2Faws4_request"
    assert region_and_service({}, presigned) == ("eu-west-1", "s3")
    assert region_and_service({"Authorization": "Basic abc"}, "/") == ("unsigned", "")


def test_error_bodies_follow_the_call_protocol() -> None:
    body, content_type = error_response(503, "ecs", "af-south-1", "application/x-amz-json-1.1", "AmazonEC2ContainerServiceV20141113.ListClusters")
    assert json.loads(body)["__type"] == "ServiceUnavailable" and "json" in content_type
    body, content_type = error_response(503, "rds", "af-south-1", "application/x-www-form-urlencoded", "")
    assert body.startswith(b"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>")
    assert content_type == "text/xml"
    assert error_response(503, "route53", "us-east-1", "", "")[1] == "text/xml"
    assert b"ServiceUnavailable" not in error_response(500, "rds", "af-south-1", "application/x-www-form-urlencoded", "")[0]


def test_proxy_refuses_non_loopback_upstreams_and_bad_faults() -> None:
    with pytest.raises(HarnessError, match="loopback"):
        RegionApiFaultProxy("https://rds.af-south-1.amazonaws.com")
    proxy = RegionApiFaultProxy("http://127.0.0.1:5000")
    with pytest.raises(HarnessError, match="not an AWS region"):
        proxy.fail_region("mars-1")
    with pytest.raises(HarnessError, match="400..599"):
        proxy.fail_region("af-south-1", status=200)
    proxy.fail_region("af-south-1", status=500)
    proxy.fail_region("eu-west-1")
    proxy.heal("eu-west-1")
    assert proxy.failed_regions == {"af-south-1": 500}
    with pytest.raises(HarnessError, match="not running"):
        _ = proxy.endpoint_url


def test_poll_until_returns_the_first_accepted_value() -> None:
    values = itertools.count()
    value, seconds = poll_until(lambda: next(values), lambda v: v >= 3, timeout_seconds=2, poll_seconds=0.01, what="x")
    assert value == 3 and 0 <= seconds < 2


def test_poll_until_times_out_with_the_last_value() -> None:
    with pytest.raises(HarnessError, match=r"ECS x: not reached within 0.1 s \(last seen: modifying\)"):
        poll_until(lambda: "modifying", lambda v: v == "available", timeout_seconds=0.1, poll_seconds=0.02, what="ECS x")


@pytest.mark.parametrize(("timeout", "poll"), [(0, 1), (-1, 1), (10, 0), (1, 2), (10**6, 1), (("running",), 1)])
def test_poll_until_refuses_unbounded_waits(timeout: float, poll: float) -> None:
    with pytest.raises(HarnessError, match="must be"):
        poll_until(lambda: 1, lambda v: True, timeout_seconds=timeout, poll_seconds=poll, what="x")


def test_not_emulated_catalogue() -> None:
    ids = [entry.id for entry in NOT_EMULATED]
    assert len(ids) == len(set(ids))
    assert not_emulated("rds-promote-read-replica").skip_reason.startswith("not emulated: ")
    table = markdown_table()
    assert all(f"`{i}`" in table for i in ids)
    with pytest.raises(KeyError):
        not_emulated("nope")


def test_readme_table_of_not_emulated_effects_is_current() -> None:
    readme = (Path(__file__).resolve().parents[2] / "medzen_harness" / "chaos" / "aws" / "README.md").read_text()
    generated = readme.split("<!-- BEGIN generated:aws-not-emulated -->\n")[1].split("<!-- END generated:aws-not-emulated -->")[0]
    assert generated == markdown_table()
