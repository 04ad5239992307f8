"""MZ_KMS_DYNAMODB: SSE enabled with a customer-managed key (every replica of a global table)."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_bool, judge_kms_key
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "SSESpecification SSEEnabled true with a customer-managed KMSMasterKeyId"


class DynamoDbCustomerManagedKms(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

    def judge(self, resource):
        props, template = resource.properties, resource.template
        verdicts = Verdicts()
        enabled = template.get(props, "SSESpecification.SSEEnabled")
        if isinstance(enabled, Unresolved):
            verdicts.unknown(f"SSEEnabled: {enabled.reason}")
        elif as_bool(enabled) is not True:
            verdicts.fail("SSESpecification.SSEEnabled " + ("absent: the AWS-owned key is used"
                                                             if enabled is None else short(enabled)),
                          line_of(props.get("SSESpecification")))
            return verdicts.judgement(EXPECTED)
        if resource.type == "AWS::DynamoDB::Table":
            spec = props.get("SSESpecification") or {}
            judge_kms_key(verdicts, template, spec.get("KMSMasterKeyId"), "SSESpecification", "aws/dynamodb")
        else:
            replicas = template.get(props, "Replicas")
            if not isinstance(replicas, list):
                verdicts.unknown(f"Replicas: {short(replicas)}")
            for replica in replicas or []:
                region = replica.get("Region", "?") if isinstance(replica, dict) else "?"
                spec = replica.get("SSESpecification") if isinstance(replica, dict) else None
                key = spec.get("KMSMasterKeyId") if isinstance(spec, dict) else None
                judge_kms_key(verdicts, template, key, f"replica {template.resolve(region)}", "aws/dynamodb")
        return verdicts.judgement(EXPECTED)


check = DynamoDbCustomerManagedKms()
