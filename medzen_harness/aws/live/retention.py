"""Retention: 7-year lifecycle, versioning, backups, PITR, log retention (HIPAA 164.316(b)(2)(i), 164.308(a)(7))."""

from __future__ import annotations

from typing import Any

from medzen_harness.aws.architecture import SEVEN_YEARS_DAYS
from medzen_harness.aws.live import live_check

MIN_RDS_BACKUP_DAYS = 7
MIN_LOG_RETENTION_DAYS = 30


@live_check("MZ_RET_S3_LIFECYCLE", "AWS::S3::Bucket", "s3")
def s3_lifecycle(s3: Any, bucket: str) -> tuple[bool, str]:
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except s3.exceptions.ClientError as error:
        return False, f"no lifecycle configuration ({error.response['Error']['Code']})"
    enabled = [r for r in rules if r.get("Status") == "Enabled"]
    short = [r for r in enabled if r.get("Expiration", {}).get("Days", SEVEN_YEARS_DAYS) < SEVEN_YEARS_DAYS]
    shown = ", ".join(f"{r.get('ID', '?')}: {r.get('Status')} expire {r.get('Expiration', {}).get('Days', 'never')}" for r in rules)
    return bool(enabled) and not short, shown


@live_check("MZ_RET_S3_VERSIONING", "AWS::S3::Bucket", "s3")
def s3_versioning(s3: Any, bucket: str) -> tuple[bool, str]:
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "never enabled")
    return status == "Enabled", f"versioning {status}"


@live_check("MZ_RET_RDS_BACKUP", "AWS::RDS::DBInstance", "rds")
def rds_backup(rds: Any, identifier: str) -> tuple[bool, str]:
    days = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0].get("BackupRetentionPeriod", 0)
    return days >= MIN_RDS_BACKUP_DAYS, f"BackupRetentionPeriod={days} days"


@live_check("MZ_RET_RDS_DELETION_PROTECTION", "AWS::RDS::DBInstance", "rds")
def rds_deletion_protection(rds: Any, identifier: str) -> tuple[bool, str]:
    enabled = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0].get("DeletionProtection")
    return bool(enabled), f"DeletionProtection={enabled}"


@live_check("MZ_RET_DYNAMODB_PITR", "AWS::DynamoDB::Table", "dynamodb")
@live_check("MZ_RET_DYNAMODB_PITR", "AWS::DynamoDB::GlobalTable", "dynamodb")
def dynamodb_pitr(dynamodb: Any, table: str) -> tuple[bool, str]:
    description = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    status = description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus", "DISABLED")
    return status == "ENABLED", f"point-in-time recovery {status}"


@live_check("MZ_RET_LOGS", "AWS::Logs::LogGroup", "logs")
def log_retention(logs: Any, name: str) -> tuple[bool, str]:
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    days = groups[0].get("retentionInDays") if groups else None
    return days is not None and days >= MIN_LOG_RETENTION_DAYS, f"retentionInDays={days if days is not None else 'never expire'}"
