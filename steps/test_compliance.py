"""Steps of features/compliance.feature: each one sentence -> one call into the engine."""

from pytest_bdd import given, parsers, scenarios, then, when

from medzen_harness.testing.compliance import expect, medzen_template, medzen_templates, view_of

scenarios("compliance.feature")


@given("the MedZen CloudFormation templates", target_fixture="selected_templates")
def the_medzen_templates():
    return medzen_templates()


@given(parsers.parse('the MedZen template "{name}"'), target_fixture="selected_templates")
def one_medzen_template(name):
    return [medzen_template(name)]


@when("the compliance gate runs", target_fixture="gate_view")
def the_gate_runs(medzen_gate_report, selected_templates):
    return view_of(medzen_gate_report, selected_templates)


@then("every S3 bucket holding PHI is encrypted with a customer-managed KMS key")
def phi_buckets_use_cmk(gate_view):
    expect(gate_view, "PHI buckets encrypted with a CMK", ["MZ_KMS_S3"], phi_only=True)


@then("every database and the audit-log table are encrypted with a customer-managed KMS key")
def databases_use_cmk(gate_view):
    expect(gate_view, "databases and audit-log table encrypted with a CMK", ["MZ_KMS_RDS", "MZ_KMS_DYNAMODB"])


@then("every log group, topic, queue and secret is encrypted with a customer-managed KMS key")
def logs_topics_queues_secrets_use_cmk(gate_view):
    expect(gate_view, "logs, topics, queues, secrets encrypted with a CMK",
           ["MZ_KMS_LOGS", "MZ_KMS_SNS", "MZ_KMS_SQS", "MZ_KMS_SECRETS"])


@then("every KMS key rotates its key material automatically")
def keys_rotate(gate_view):
    expect(gate_view, "KMS key rotation", ["MZ_KMS_ROTATION"])


@then(parsers.parse("no {family_name} policy reports a finding"))
def no_finding_in_family(gate_view, family_name):
    expect(gate_view, f"every {family_name} policy", family={"encryption": "kms", "retention": "retention",
                                                               "transport": "tls"}[family_name])


@then("every S3 bucket holding PHI keeps its objects and their versions for at least 2555 days")
def phi_buckets_keep_seven_years(gate_view):
    expect(gate_view, "PHI buckets keep objects 7 years", ["MZ_RET_S3_LIFECYCLE"], phi_only=True)


@then("every S3 bucket holding PHI is versioned")
def phi_buckets_versioned(gate_view):
    expect(gate_view, "PHI buckets versioned", ["MZ_RET_S3_VERSIONING"], phi_only=True)


@then("every database keeps at least 7 days of backups and is protected from deletion")
def databases_backed_up(gate_view):
    expect(gate_view, "database backups and deletion protection",
           ["MZ_RET_RDS_BACKUP", "MZ_RET_RDS_DELETION_PROTECTION"])


@then("the audit-log table can be restored to any point in time")
def audit_log_pitr(gate_view):
    expect(gate_view, "audit-log point-in-time recovery", ["MZ_RET_DYNAMODB_PITR"])


@then("every log group keeps its logs for at least 30 days")
def logs_retained(gate_view):
    expect(gate_view, "log retention", ["MZ_RET_LOGS"])


@then("every load balancer accepts only TLS 1.2 or newer and plain HTTP only redirects to HTTPS")
def load_balancers_tls12(gate_view):
    expect(gate_view, "load balancer listeners", ["MZ_TLS_ELBV2_LISTENER", "MZ_TLS_ELB_CLASSIC"])


@then("every S3 bucket refuses requests that do not use TLS")
def buckets_deny_http(gate_view):
    expect(gate_view, "bucket policies deny plain HTTP", ["MZ_TLS_S3_POLICY"])


@then("every API custom domain requires TLS 1.2")
def api_domains_tls12(gate_view):
    expect(gate_view, "API custom domains", ["MZ_TLS_APIGW_DOMAIN"])


@then("the EHR database refuses connections without TLS")
def database_forces_ssl(gate_view):
    expect(gate_view, "rds.force_ssl", ["MZ_TLS_RDS_FORCE_SSL"])


@then("cfn-lint reports no error and no warning")
def cfn_lint_clean(gate_view):
    expect(gate_view, "cfn-lint", family="lint")


@then("the template has no finding and no unjustified waiver")
def template_passes(gate_view):
    expect(gate_view, "the release gate")
