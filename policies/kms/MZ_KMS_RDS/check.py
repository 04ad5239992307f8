"""MZ_KMS_RDS: StorageEncrypted and a customer-managed KmsKeyId (replicas: KmsKeyId)."""

from medzen_harness.compliance.judged_check import (
    JudgedCheck,
    Verdicts,
    as_bool,
    judge_kms_key,
    not_applicable,
)
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "StorageEncrypted true with a customer-managed KmsKeyId"


class RdsCustomerManagedKms(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")

    def judge(self, resource):
        props, template = resource.properties, resource.template
        if resource.type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in props:
            return not_applicable("storage encryption of a cluster member is set on its cluster")
        verdicts = Verdicts()
        replica = any(k in props for k in ("SourceDBInstanceIdentifier", "SourceDBClusterIdentifier",
                                           "ReplicationSourceIdentifier"))
        encrypted = template.get(props, "StorageEncrypted")
        if isinstance(encrypted, Unresolved):
            verdicts.unknown(f"StorageEncrypted: {encrypted.reason}", line_of(props.get("StorageEncrypted")))
        elif encrypted is None and replica:
            verdicts.ok("StorageEncrypted inherited from the source")
        elif as_bool(encrypted) is not True:
            shown = "absent (false)" if encrypted is None else short(encrypted)
            verdicts.fail(f"StorageEncrypted {shown}", line_of(props.get("StorageEncrypted")))
        else:
            verdicts.ok("StorageEncrypted true")
        judge_kms_key(verdicts, template, props.get("KmsKeyId"), "KmsKeyId", "aws/rds")
        return verdicts.judgement(EXPECTED + (" (read replica: a key of its own region)" if replica else ""))


check = RdsCustomerManagedKms()
