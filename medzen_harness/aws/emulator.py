"""What the embedded AWS (moto 5.2.x server) cannot answer — ONE declared list.

On the embedded target a check listed here is reported `skipped` with the reason
"not emulated: ..." and never run; on a real account it runs normally. The harness never
writes the expected state through the API to make such a check pass.

Every entry has a probe test (tests/integration/test_aws_emulator_gaps.py) that fails as
soon as moto emulates the thing: then the entry must be removed so the check runs again.
`kind` says where the gap bites: `check` (a live check is skipped), `residency` (a column
of the PHI residency map is unknown), `deploy`/`teardown` (the engine works around it on
the embedded target only; the workaround is described in `reason`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorGap:
    id: str
    kind: str
    reason: str

    @property
    def skip_reason(self) -> str:
        return f"not emulated: {self.reason}"


GAPS: tuple[EmulatorGap, ...] = (
    EmulatorGap("MZ_KMS_DYNAMODB", "check",
                "moto drops SSESpecification of an AWS::DynamoDB::Table created by CloudFormation (DescribeTable shows no SSEDescription)"),
    EmulatorGap("MZ_KMS_LOGS", "check",
                "moto drops KmsKeyId of an AWS::Logs::LogGroup created by CloudFormation"),
    EmulatorGap("MZ_KMS_SECRETS", "check",
                "moto's CloudFormation skips AWS::SecretsManager::Secret (the stack completes, no secret exists)"),
    EmulatorGap("MZ_RET_S3_LIFECYCLE", "check",
                "moto drops LifecycleConfiguration of an AWS::S3::Bucket created by CloudFormation"),
    EmulatorGap("MZ_RET_S3_VERSIONING", "check",
                "moto drops VersioningConfiguration of an AWS::S3::Bucket created by CloudFormation"),
    EmulatorGap("MZ_RET_DYNAMODB_PITR", "check",
                "moto drops PointInTimeRecoverySpecification of an AWS::DynamoDB::Table created by CloudFormation"),
    EmulatorGap("MZ_TLS_S3_POLICY", "check",
                "moto's CloudFormation skips AWS::S3::BucketPolicy (no bucket policy exists after the stack completes)"),
    EmulatorGap("MZ_TLS_CLOUDFRONT", "check",
                "moto's CloudFormation skips AWS::CloudFront::Distribution"),
    EmulatorGap("MZ_TLS_APIGW_DOMAIN", "check",
                "moto's CloudFormation skips AWS::ApiGateway::DomainName"),
    EmulatorGap("MZ_TLS_RDS_FORCE_SSL", "check",
                "moto gives an AWS::RDS::DBParameterGroup created by CloudFormation no physical name (its Ref is an "
                "object), so its rds.force_ssl cannot be read back (and a DB instance using it cannot be described)"),
    EmulatorGap("sg_rds_from_ecs", "check",
                "moto ignores VPCSecurityGroups of an AWS::RDS::DBInstance created by CloudFormation (it gets no security group)"),
    EmulatorGap("MZ_RET_RDS_DELETION_PROTECTION", "check",
                "moto ignores DeletionProtection of an AWS::RDS::DBInstance created by CloudFormation"),
    EmulatorGap("sg_ecs_from_alb", "check",
                "moto drops NetworkConfiguration of an AWS::ECS::Service created by CloudFormation (the service has no security group)"),
    EmulatorGap("residency_s3_replication", "residency",
                "moto drops ReplicationConfiguration of an AWS::S3::Bucket created by CloudFormation (replication destinations unknown)"),
    EmulatorGap("deploy_change_set_outputs", "deploy",
                "a stack created through a CREATE change set has no Outputs in moto (and one updated through a change set "
                "keeps its old Outputs); the engine creates new stacks with CreateStack and updates existing ones through "
                "change sets (the same code on real AWS)"),
    EmulatorGap("deploy_failover_record_update", "deploy",
                "when CloudFormation updates one Route 53 failover record, moto deletes every record of that name "
                "(PRIMARY and SECONDARY); the global stack's update with the regional load balancers as failover origins "
                "is not run on the embedded target, its records keep the template's placeholder origins"),
    EmulatorGap("teardown_cross_region_replica", "teardown",
                "deleting a cross-region read replica fails in moto (the primary's replica list is not updated); on the "
                "embedded target the engine promotes the replica before deleting its stack"),
    EmulatorGap("teardown_kept_after_stack_delete", "teardown",
                "moto keeps ECS clusters, services and task definitions, Route 53 hosted zones and health checks, API Gateway REST APIs and NAT gateways (so the VPC cannot be deleted) and sometimes an ELBv2 target group after "
                "their stack is deleted; on the embedded target the engine deletes them through their own APIs and "
                "reports them under teardown.swept (on real AWS a leftover is a failure)"),
)

GAPS_BY_ID = {gap.id: gap for gap in GAPS}


def gap_for(check_id: str, embedded: bool) -> EmulatorGap | None:
    """The declared gap that makes `check_id` unanswerable on this target (None on real AWS)."""
    return GAPS_BY_ID.get(check_id) if embedded else None


def markdown_table() -> str:
    rows = ["| id | kind | what the embedded AWS cannot do |", "|---|---|---|"]
    rows += [f"| `{g.id}` | {g.kind} | {g.reason} |" for g in GAPS]
    return "\n".join(rows) + "\n"


def failing_resource_in_emulator(account_id: str, region: str, stack_name: str) -> str | None:
    """The resource moto was creating when a stack failed.

    moto records no per-resource stack events and re-raises the failure on
    ListStackResources, so the answer is read from the in-process server's stack (the
    embedded server runs in this process). None when moto's internals are not as expected.
    """
    try:
        from moto.cloudformation.models import cloudformation_backends

        for stack in cloudformation_backends[account_id][region].stacks.values():
            if stack.name != stack_name:
                continue
            resource_map = stack.resource_map
            done = {k for k, v in resource_map._parsed_resources.items() if not isinstance(v, str)}
            pending = [k for k in resource_map._resource_json_map if k not in done]
            return pending[0] if pending else None
    except (ImportError, AttributeError, KeyError, TypeError):
        return None
    return None
