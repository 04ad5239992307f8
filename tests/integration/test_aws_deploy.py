"""Deploy, redeploy, failure clean-up, verification and teardown on the embedded AWS, with
the small architecture-like fixture templates (tests/fixtures/deploy)."""

import pytest
import yaml

from medzen_harness.aws.deploy import deploy_plan, teardown_plan
from medzen_harness.aws.plan import load_plan
from medzen_harness.aws.session import deployed_environment
from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError

pytestmark = pytest.mark.moto
TOPIC = "tests/fixtures/deploy/topic.yaml"


def write_plan(tmp_path, stacks, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"stacks": stacks}))
    return str(path)


def statuses(checks, check_id):
    return {c.status for c in checks if c.id == check_id}


def test_outputs_are_passed_on_and_redeploy_is_idempotent(embedded_aws_target, fixture_plan_path):
    plan = load_plan(fixture_plan_path)
    first = deploy_plan(embedded_aws_target, plan)
    assert {r.status for r in first} == {"created"}
    primary_arn = first[1].outputs["DatabaseArn"]
    rds = embedded_aws_target.client("rds", "eu-west-1")
    replica = rds.describe_db_instances(DBInstanceIdentifier="medzen-ehrbase-dr")["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary_arn
    again = deploy_plan(embedded_aws_target, plan)
    assert [r.status for r in again] == ["unchanged"] * len(plan.stacks)
    assert again[1].outputs == first[1].outputs


def test_a_changed_parameter_is_an_update_through_a_change_set(embedded_aws_target, tmp_path):
    stack = {"name": "medzen-topic", "template": TOPIC, "region": "af-south-1"}
    deploy_plan(embedded_aws_target, load_plan(write_plan(tmp_path, [stack])))
    stack["parameters"] = {"DisplayName": "renamed"}
    [result] = deploy_plan(embedded_aws_target, load_plan(write_plan(tmp_path, [stack])))
    assert result.status == "updated"
    sns = embedded_aws_target.client("sns", "af-south-1")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    names = [sns.get_topic_attributes(TopicArn=t)["Attributes"].get("DisplayName") for t in topics]
    assert names == ["renamed"]
    change_sets = embedded_aws_target.client("cloudformation", "af-south-1").list_change_sets(StackName="medzen-topic")
    assert change_sets["Summaries"][-1]["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_a_failing_stack_names_the_resource_and_leaves_nothing(embedded_aws_target, tmp_path):
    plan = load_plan(write_plan(tmp_path, [
        {"name": "medzen-ok", "template": TOPIC, "region": "eu-west-1"},
        {"name": "medzen-bad", "template": "tests/fixtures/deploy/failing.yaml", "region": "eu-west-1"},
    ]))
    with pytest.raises(HarnessError) as error:
        deploy_plan(embedded_aws_target, plan)
    message = str(error.value)
    assert "medzen-bad" in message and "BrokenHandler" in message and "role" in message
    assert "partial stack removed" in message
    cf = embedded_aws_target.client("cloudformation", "eu-west-1")
    assert {s["StackStatus"] for s in cf.list_stacks()["StackSummaries"]} == {"DELETE_COMPLETE"}
    assert embedded_aws_target.client("sqs", "eu-west-1").list_queues().get("QueueUrls", []) == []
    assert embedded_aws_target.client("sns", "eu-west-1").list_topics()["Topics"] == []


def test_teardown_is_verified_by_listing(embedded_aws_target, fixture_plan_path):
    plan = load_plan(fixture_plan_path)
    deploy_plan(embedded_aws_target, plan)
    report = teardown_plan(embedded_aws_target, plan)
    assert report.leftover == []
    assert [s["name"] for s in report.stacks][0] == "medzen-chime-af"  # reverse order
    target = embedded_aws_target
    for region in target.regions:
        live = [s for s in target.client("cloudformation", region).list_stacks()["StackSummaries"]
                if s["StackStatus"] != "DELETE_COMPLETE"]
        assert live == []
        assert target.client("rds", region).describe_db_instances()["DBInstances"] == []
        assert target.client("dynamodb", region).list_tables()["TableNames"] == []
        assert target.client("elbv2", region).describe_load_balancers()["LoadBalancers"] == []
        assert target.client("logs", region).describe_log_groups()["logGroups"] == []
        ecs = target.client("ecs", region)
        clusters = ecs.list_clusters()["clusterArns"]
        assert {c["status"] for c in ecs.describe_clusters(clusters=clusters)["clusters"]} <= {"INACTIVE"}
    assert target.client("s3", "us-east-1").list_buckets()["Buckets"] == []
    assert target.client("route53", "us-east-1").list_hosted_zones()["HostedZones"] == []


def test_the_fixture_stacks_pass_every_check_or_skip_it_honestly(fixture_plan_path):
    with deployed_environment(load_config(None), "embedded", fixture_plan_path) as environment:
        run = environment.verify()
    assert run.teardown.performed and run.teardown.leftover == []
    failed = [c.contract() for c in run.all_checks if c.status == "failed"]
    assert failed == []
    assert all(c.reason.startswith("not emulated: ") for c in run.all_checks if c.status == "skipped")
    for check_id in ("stack_complete", "rds_primary", "rds_replica", "ecs_desired_count", "alb_tls_policy",
                     "alb_http_redirect", "sg_alb_from_anywhere", "route53_failover", "bucket_region", "log_group",
                     "MZ_KMS_ROTATION", "MZ_KMS_S3", "MZ_KMS_RDS", "MZ_TLS_ELBV2_LISTENER", "phi_residency_location",
                     "teardown_complete"):
        assert statuses(run.all_checks, check_id) == {"passed"}, check_id


def test_checks_fail_when_the_account_differs_from_the_architecture(tmp_path, fixture_plan_path):
    with open(fixture_plan_path) as plan_file:
        plan = yaml.safe_load(plan_file)
    primary = plan["stacks"][1]
    primary["parameters"]["SslPolicy"] = "ELBSecurityPolicy-2016-08"   # allows TLS 1.0
    primary["parameters"]["DesiredCount"] = 1                          # architecture: 2
    config = load_config(None)
    config["phi_residency"]["allowed_regions"] = ["af-south-1", "eu-west-1"]  # us-east-1 holds a PHI bucket
    with deployed_environment(config, "embedded", write_plan(tmp_path, plan["stacks"])) as environment:
        run = environment.verify()
    failed = {(c.id, c.region) for c in run.all_checks if c.status == "failed"}
    assert ("alb_tls_policy", "af-south-1") in failed
    assert ("MZ_TLS_ELBV2_LISTENER", "af-south-1") in failed
    assert ("ecs_desired_count", "af-south-1") in failed
    assert ("phi_residency_location", "us-east-1") in failed
    assert ("alb_tls_policy", "eu-west-1") not in failed
    assert run.exit_code == 1
    assert any(row["verdict"].startswith("violation: us-east-1") for row in run.residency_rows)


def test_aws_target_needs_an_issued_certificate_and_leaves_nothing_half_deployed(fixture_plan_path, monkeypatch):
    from medzen_harness.aws.embedded import EMBEDDED_ACCOUNT_ID, EmbeddedAws
    from medzen_harness.aws.targets import ENDPOINT_OVERRIDE_ENV, open_target, reset_emulator
    config = load_config(None)
    config["aws"].update(target="aws", allowed_account_ids=[EMBEDDED_ACCOUNT_ID])
    with EmbeddedAws() as server:
        reset_emulator(server.endpoint_url)
        monkeypatch.setenv(ENDPOINT_OVERRIDE_ENV, server.endpoint_url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with open_target(config, "aws") as target:
            with pytest.raises(HarnessError, match="no issued ACM certificate for ehr.medzen.example.org in af-south-1"):
                deploy_plan(target, load_plan(fixture_plan_path))
            stacks = target.client("cloudformation", "us-east-1").list_stacks()["StackSummaries"]
            assert [s["StackName"] for s in stacks] == ["medzen-global"]  # created by this run ...
            assert stacks[0]["StackStatus"] == "DELETE_COMPLETE"           # ... and removed again
        reset_emulator(server.endpoint_url)
