"""Steps of features/deploy.feature: each sentence is one call into the engine."""

from pytest_bdd import given, parsers, scenarios, then

from medzen_harness.testing.aws import (
    attach_deploy_evidence,
    disagreements,
    expect_checks,
    expect_final_update,
    remaining_resources,
    stack_sequence,
    undeclared_skips,
)

scenarios("deploy.feature")

KMS = ("MZ_KMS_S3", "MZ_KMS_RDS", "MZ_KMS_DYNAMODB", "MZ_KMS_LOGS", "MZ_KMS_SNS", "MZ_KMS_SQS", "MZ_KMS_SECRETS")
RETENTION = ("MZ_RET_S3_LIFECYCLE", "MZ_RET_S3_VERSIONING", "MZ_RET_RDS_BACKUP", "MZ_RET_RDS_DELETION_PROTECTION",
             "MZ_RET_DYNAMODB_PITR", "MZ_RET_LOGS")
TLS = ("MZ_TLS_ELBV2_LISTENER", "MZ_TLS_ELB_CLASSIC", "MZ_TLS_S3_POLICY", "MZ_TLS_CLOUDFRONT", "MZ_TLS_APIGW_DOMAIN",
       "MZ_TLS_RDS_FORCE_SSL")
ORDER = ["medzen-global@us-east-1", "medzen-ehrbase@af-south-1", "medzen-ehrbase@eu-west-1",
         "medzen-bedrock-ai@eu-west-1", "medzen-bedrock-ai@us-east-1", "medzen-bedrock-ai@af-south-1",
         "medzen-chime-sdk@eu-west-1", "medzen-chime-sdk@af-south-1"]


@given("the MedZen stacks deployed on the embedded AWS", target_fixture="medzen")
def medzen_deployed(deployed_medzen):
    attach_deploy_evidence(deployed_medzen)
    return deployed_medzen


@then("the stacks were deployed in the order global, EHRbase primary, EHRbase DR, Bedrock AI in three regions, Chime SDK in two regions")
def deployed_in_order(medzen):
    assert stack_sequence(medzen)[:len(ORDER)] == ORDER


@then("the global stack was updated last with the regional load balancers as failover origins")
def global_updated_last(medzen):
    expect_final_update(medzen, "medzen-global@us-east-1")


@then("every stack is complete in its region")
def stacks_complete(medzen):
    expect_checks(medzen.run.checks, "stacks complete", ["stack_complete"])


@then("the EHRbase database primary runs Multi-AZ in af-south-1")
def rds_primary(medzen):
    expect_checks(medzen.run.checks, "RDS primary", ["rds_primary"], "af-south-1")


@then("its cross-region read replica runs in eu-west-1")
def rds_replica(medzen):
    expect_checks(medzen.run.checks, "RDS replica", ["rds_replica"], "eu-west-1")


@then(parsers.re(r"the EHRbase service wants (?P<count>\d+) tasks? in (?P<region>[a-z0-9-]+)"))
def ecs_desired(medzen, count, region):
    rows = expect_checks(medzen.run.checks, f"ECS desired count {region}", ["ecs_desired_count"], region)
    assert {r.expected for r in rows} == {f"desiredCount {count}"}


@then("every HTTPS listener uses a TLS 1.2+ security policy")
def alb_tls(medzen):
    expect_checks(medzen.run.checks, "ALB TLS policy", ["alb_tls_policy"])


@then("every HTTP listener redirects to HTTPS")
def alb_redirect(medzen):
    expect_checks(medzen.run.checks, "HTTP to HTTPS redirect", ["alb_http_redirect"])


@then("the load balancer accepts 80 and 443 from anywhere and nothing else")
def sg_alb(medzen):
    expect_checks(medzen.run.checks, "ALB security group", ["sg_alb_from_anywhere"])


@then("the EHRbase tasks accept 8080 from the load balancer only")
def sg_ecs(medzen):
    expect_checks(medzen.run.checks, "ECS security group", ["sg_ecs_from_alb"])


@then("the database accepts 5432 from the EHRbase tasks only")
def sg_rds(medzen):
    expect_checks(medzen.run.checks, "RDS security group", ["sg_rds_from_ecs"])


@then("every failover name has a PRIMARY and a SECONDARY record")
@then("every PRIMARY record is watched by a health check on the service's status path")
def route53_failover(medzen):
    expect_checks(medzen.run.checks, "Route 53 failover", ["route53_failover"])


@then("every bucket is in the region of its stack")
def buckets_in_region(medzen):
    expect_checks(medzen.run.checks, "bucket regions", ["bucket_region"])


@then("every expected log group exists in its region and keeps logs 30 to 90 days")
def log_groups(medzen):
    expect_checks(medzen.run.checks, "log groups", ["log_group"])


@then(parsers.parse("the live {family} checks pass or are declared not emulated"))
def live_family(medzen, family):
    expect_checks(medzen.run.compliance, f"live {family}", {"encryption": KMS, "retention": RETENTION, "transport": TLS}[family])


@then("every KMS key rotates its key material")
def kms_rotation(medzen):
    expect_checks(medzen.run.compliance, "KMS rotation", ["MZ_KMS_ROTATION"])


@then("wherever the gate and the account both judged a resource, they agree")
def template_and_account_agree(medzen):
    assert disagreements(medzen) == []


@then("every PHI-tagged resource lives in an allowed region")
def phi_location(medzen):
    expect_checks(medzen.run.residency, "PHI location", ["phi_residency_location"])


@then("every PHI-tagged resource replicates only to allowed regions")
def phi_replication(medzen):
    expect_checks(medzen.run.residency, "PHI replication", ["phi_residency_replication"])


@then('every skipped check gives a reason from the declared "not emulated" list')
def skips_are_declared(medzen):
    assert undeclared_skips(medzen.run.all_checks) == []


@given("a separate deployment of the MedZen stacks that has been torn down", target_fixture="torn_down")
def separate_deployment(torn_down_medzen):
    return torn_down_medzen


@then("no stack and no resource of it can be found through the service APIs")
def nothing_left(torn_down):
    assert remaining_resources(torn_down) == []
