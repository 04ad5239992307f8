"""MZ_KMS_S3: every default-encryption rule is aws:kms with a customer-managed key."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, judge_kms_key
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "default encryption aws:kms with a customer-managed KMS key"


class S3BucketCustomerManagedKms(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::S3::Bucket",)

    def judge(self, resource):
        verdicts = Verdicts()
        template = resource.template
        rules = template.get(resource.properties, "BucketEncryption.ServerSideEncryptionConfiguration")
        if isinstance(rules, Unresolved):
            verdicts.unknown(rules.reason)
        elif not isinstance(rules, list) or not rules:
            verdicts.fail("no BucketEncryption: S3 applies SSE-S3 (AES256), not a customer-managed key",
                          line_of(resource.properties) or None)
        else:
            for index, rule in enumerate(rules):
                default = template.get(rule, "ServerSideEncryptionByDefault")
                algorithm = template.get(rule, "ServerSideEncryptionByDefault.SSEAlgorithm")
                what = f"rule {index + 1}"
                if isinstance(algorithm, Unresolved):
                    verdicts.unknown(f"{what}: {algorithm.reason}", line_of(rule))
                elif algorithm in ("aws:kms", "aws:kms:dsse"):
                    key = default.get("KMSMasterKeyID") if isinstance(default, dict) else None
                    judge_kms_key(verdicts, template, key, f"{what} ({algorithm})", "aws/s3")
                else:
                    verdicts.fail(f"{what} uses SSEAlgorithm {short(algorithm)}", line_of(algorithm) or line_of(rule))
        return verdicts.judgement(EXPECTED)


check = S3BucketCustomerManagedKms()
