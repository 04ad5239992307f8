"""MZ_RET_DYNAMODB_PITR: PITR on a table, or on every replica of a global table."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_bool
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "PointInTimeRecoveryEnabled true (on every replica of a global table)"
FIELD = "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"


def _judge_spec(verdicts, template, owner, what):
    enabled = template.get(owner, FIELD)
    if isinstance(enabled, Unresolved):
        verdicts.unknown(f"{what}: {enabled.reason}", line_of(owner))
    elif as_bool(enabled) is True:
        verdicts.ok(f"{what} PITR enabled")
    else:
        verdicts.fail(f"{what} PITR " + ("not configured" if enabled is None else short(enabled)), line_of(owner))


class DynamoDbPointInTimeRecovery(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

    def judge(self, resource):
        verdicts, template = Verdicts(), resource.template
        if resource.type == "AWS::DynamoDB::Table":
            _judge_spec(verdicts, template, resource.properties, "table")
        else:
            replicas = template.get(resource.properties, "Replicas")
            if not isinstance(replicas, list) or not replicas:
                verdicts.unknown(f"Replicas: {short(replicas)}")
            for replica in replicas or []:
                region = template.resolve(replica.get("Region", "?")) if isinstance(replica, dict) else "?"
                _judge_spec(verdicts, template, replica, f"replica {region}")
        return verdicts.judgement(EXPECTED)


check = DynamoDbPointInTimeRecovery()
