"""KMS encryption at rest, read back from each service (HIPAA 164.312(a)(2)(iv))."""

from __future__ import annotations

from typing import Any

from medzen_harness.aws.live import live_check


@live_check("MZ_KMS_S3", "AWS::S3::Bucket", "s3")
def s3_bucket_kms(s3: Any, bucket: str) -> tuple[bool, str]:
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except s3.exceptions.ClientError as error:
        return False, f"no default encryption ({error.response['Error']['Code']})"
    algorithms = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules]
    return any(a.startswith("aws:kms") for a in algorithms), f"SSE {', '.join(algorithms)}"


@live_check("MZ_KMS_RDS", "AWS::RDS::DBInstance", "rds")
def rds_kms(rds: Any, identifier: str) -> tuple[bool, str]:
    db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    ok = bool(db.get("StorageEncrypted")) and bool(db.get("KmsKeyId"))
    return ok, f"StorageEncrypted={db.get('StorageEncrypted')}, KmsKeyId={db.get('KmsKeyId') or 'none'}"


@live_check("MZ_KMS_DYNAMODB", "AWS::DynamoDB::Table", "dynamodb")
@live_check("MZ_KMS_DYNAMODB", "AWS::DynamoDB::GlobalTable", "dynamodb")
def dynamodb_kms(dynamodb: Any, table: str) -> tuple[bool, str]:
    sse = dynamodb.describe_table(TableName=table)["Table"].get("SSEDescription") or {}
    ok = sse.get("Status") in ("ENABLED", "ENABLING") and sse.get("SSEType") == "KMS"
    return ok, f"SSE {sse.get('SSEType', 'AWS owned key')} {sse.get('Status', '')}".strip()


@live_check("MZ_KMS_LOGS", "AWS::Logs::LogGroup", "logs")
def log_group_kms(logs: Any, name: str) -> tuple[bool, str]:
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    key = groups[0].get("kmsKeyId") if groups else None
    return bool(key), f"kmsKeyId={key or 'none'}"


@live_check("MZ_KMS_SNS", "AWS::SNS::Topic", "sns")
def sns_kms(sns: Any, arn: str) -> tuple[bool, str]:
    key = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId")
    return bool(key), f"KmsMasterKeyId={key or 'none'}"


@live_check("MZ_KMS_SQS", "AWS::SQS::Queue", "sqs")
def sqs_kms(sqs: Any, url: str) -> tuple[bool, str]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    key = attributes.get("KmsMasterKeyId")
    return bool(key), f"KmsMasterKeyId={key or 'none'} (SQS-managed SSE={attributes.get('SqsManagedSseEnabled', 'false')})"


@live_check("MZ_KMS_SECRETS", "AWS::SecretsManager::Secret", "secretsmanager")
def secret_kms(secretsmanager: Any, arn: str) -> tuple[bool, str]:
    key = secretsmanager.describe_secret(SecretId=arn).get("KmsKeyId")
    return bool(key), f"KmsKeyId={key or 'aws/secretsmanager (AWS managed)'}"


@live_check("MZ_KMS_ROTATION", "AWS::KMS::Key", "kms")
def kms_rotation(kms: Any, key_id: str) -> tuple[bool, str]:
    enabled = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    return bool(enabled), f"KeyRotationEnabled={enabled}"
