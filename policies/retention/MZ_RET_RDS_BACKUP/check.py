"""MZ_RET_RDS_BACKUP: BackupRetentionPeriod >= 7 (absent = CloudFormation default 1)."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_int, not_applicable
from medzen_harness.compliance.template import Unresolved, line_of, short

MINIMUM_DAYS = 7
EXPECTED = f"BackupRetentionPeriod >= {MINIMUM_DAYS} days"


class RdsBackupRetention(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")

    def judge(self, resource):
        props = resource.properties
        if resource.type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in props:
            return not_applicable("backups of a cluster member are set on its cluster")
        verdicts = Verdicts()
        days = resource.template.get(props, "BackupRetentionPeriod")
        line = line_of(props.get("BackupRetentionPeriod"))
        if isinstance(days, Unresolved):
            verdicts.unknown(f"BackupRetentionPeriod: {days.reason}", line)
        elif days is None:
            verdicts.fail("BackupRetentionPeriod absent (CloudFormation default: 1 day)")
        elif as_int(days) is None or as_int(days) < MINIMUM_DAYS:
            verdicts.fail(f"BackupRetentionPeriod {short(days)}", line)
        else:
            verdicts.ok(f"BackupRetentionPeriod {days}")
        return verdicts.judgement(EXPECTED)


check = RdsBackupRetention()
