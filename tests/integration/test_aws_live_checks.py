"""Each live compliance check against a compliant and a non-compliant resource, created
directly through the service APIs of the moto server (these APIs keep what CloudFormation
drops). This tests the check functions themselves, which run for real on an AWS account even
where the embedded deploy reports them "not emulated"."""

import json

import pytest

from medzen_harness.aws.live import load_checks
from medzen_harness.aws.targets import open_target
from medzen_harness.config import load_config

pytestmark = pytest.mark.moto
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def aws():
    with open_target(load_config(None), "embedded") as target:
        yield target


def check(policy, resource_type):
    return next(c for c in load_checks()[policy] if c.resource_type == resource_type)


def run(aws, policy, resource_type, physical):
    live = check(policy, resource_type)
    ok, shown = live.fn(aws.client(live.service, REGION), physical)
    assert shown
    return ok


def key(aws, rotate=False):
    kms = aws.client("kms", REGION)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    if rotate:
        kms.enable_key_rotation(KeyId=key_id)
    return key_id


def bucket(aws, name):
    aws.client("s3", REGION).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def test_every_catalogue_policy_has_a_live_check():
    from medzen_harness.compliance.catalogue import load_policies
    for meta in load_policies():
        assert meta.id in load_checks(), meta.id
        covered = {c.resource_type for c in load_checks()[meta.id]}
        assert covered & set(meta.resource_types), (meta.id, covered, meta.resource_types)


def test_kms_rotation(aws):
    assert run(aws, "MZ_KMS_ROTATION", "AWS::KMS::Key", key(aws, rotate=True))
    assert not run(aws, "MZ_KMS_ROTATION", "AWS::KMS::Key", key(aws))


def test_s3_kms_lifecycle_versioning_and_tls_policy(aws):
    s3 = aws.client("s3", REGION)
    good, bad = bucket(aws, "live-good"), bucket(aws, "live-bad")
    s3.put_bucket_encryption(Bucket=good, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key(aws)}}]})
    s3.put_bucket_encryption(Bucket=bad, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    assert run(aws, "MZ_KMS_S3", "AWS::S3::Bucket", good)
    assert not run(aws, "MZ_KMS_S3", "AWS::S3::Bucket", bad)
    s3.put_bucket_lifecycle_configuration(Bucket=good, LifecycleConfiguration={"Rules": [
        {"ID": "7y", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 2557}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=bad, LifecycleConfiguration={"Rules": [
        {"ID": "1y", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365}}]})
    assert run(aws, "MZ_RET_S3_LIFECYCLE", "AWS::S3::Bucket", good)
    assert not run(aws, "MZ_RET_S3_LIFECYCLE", "AWS::S3::Bucket", bad)
    s3.put_bucket_versioning(Bucket=good, VersioningConfiguration={"Status": "Enabled"})
    assert run(aws, "MZ_RET_S3_VERSIONING", "AWS::S3::Bucket", good)
    assert not run(aws, "MZ_RET_S3_VERSIONING", "AWS::S3::Bucket", bad)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{good}/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    s3.put_bucket_policy(Bucket=good, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    allow = dict(deny, Effect="Allow", Resource=f"arn:aws:s3:::{bad}/*")
    s3.put_bucket_policy(Bucket=bad, Policy=json.dumps({"Version": "2012-10-17", "Statement": [allow]}))
    assert run(aws, "MZ_TLS_S3_POLICY", "AWS::S3::Bucket", good)
    assert not run(aws, "MZ_TLS_S3_POLICY", "AWS::S3::Bucket", bad)


def test_dynamodb_kms_and_pitr(aws):
    ddb = aws.client("dynamodb", REGION)
    table = {"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
             "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    ddb.create_table(TableName="live-good", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key(aws)}, **table)
    ddb.create_table(TableName="live-bad", **table)
    assert run(aws, "MZ_KMS_DYNAMODB", "AWS::DynamoDB::Table", "live-good")
    assert not run(aws, "MZ_KMS_DYNAMODB", "AWS::DynamoDB::Table", "live-bad")
    ddb.update_continuous_backups(TableName="live-good", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert run(aws, "MZ_RET_DYNAMODB_PITR", "AWS::DynamoDB::Table", "live-good")
    assert not run(aws, "MZ_RET_DYNAMODB_PITR", "AWS::DynamoDB::Table", "live-bad")


def test_log_group_kms_and_retention(aws):
    logs = aws.client("logs", REGION)
    key_arn = aws.client("kms", REGION).describe_key(KeyId=key(aws))["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/live/good", kmsKeyId=key_arn)
    logs.put_retention_policy(logGroupName="/live/good", retentionInDays=90)
    logs.create_log_group(logGroupName="/live/bad")
    assert run(aws, "MZ_KMS_LOGS", "AWS::Logs::LogGroup", "/live/good")
    assert not run(aws, "MZ_KMS_LOGS", "AWS::Logs::LogGroup", "/live/bad")
    assert run(aws, "MZ_RET_LOGS", "AWS::Logs::LogGroup", "/live/good")
    assert not run(aws, "MZ_RET_LOGS", "AWS::Logs::LogGroup", "/live/bad")


def test_sns_sqs_and_secrets_kms(aws):
    sns, sqs, secrets = (aws.client(s, REGION) for s in ("sns", "sqs", "secretsmanager"))
    good_topic = sns.create_topic(Name="live-good", Attributes={"KmsMasterKeyId": key(aws)})["TopicArn"]
    bad_topic = sns.create_topic(Name="live-bad")["TopicArn"]
    assert run(aws, "MZ_KMS_SNS", "AWS::SNS::Topic", good_topic)
    assert not run(aws, "MZ_KMS_SNS", "AWS::SNS::Topic", bad_topic)
    good_queue = sqs.create_queue(QueueName="live-good", Attributes={"KmsMasterKeyId": key(aws)})["QueueUrl"]
    bad_queue = sqs.create_queue(QueueName="live-bad")["QueueUrl"]
    assert run(aws, "MZ_KMS_SQS", "AWS::SQS::Queue", good_queue)
    assert not run(aws, "MZ_KMS_SQS", "AWS::SQS::Queue", bad_queue)
    good_secret = secrets.create_secret(Name="live-good", SecretString="x", KmsKeyId=key(aws))["ARN"]
    bad_secret = secrets.create_secret(Name="live-bad", SecretString="x")["ARN"]
    assert run(aws, "MZ_KMS_SECRETS", "AWS::SecretsManager::Secret", good_secret)
    assert not run(aws, "MZ_KMS_SECRETS", "AWS::SecretsManager::Secret", bad_secret)


def test_rds_kms_backup_deletion_protection_and_force_ssl(aws):
    rds = aws.client("rds", REGION)
    base = {"Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": 20,
            "MasterUsername": "live", "MasterUserPassword": "live-password-1"}
    rds.create_db_parameter_group(DBParameterGroupName="live-ssl", DBParameterGroupFamily="postgres15", Description="ssl")
    rds.modify_db_parameter_group(DBParameterGroupName="live-ssl", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    rds.create_db_parameter_group(DBParameterGroupName="live-plain", DBParameterGroupFamily="postgres15", Description="plain")
    rds.create_db_instance(DBInstanceIdentifier="live-good", StorageEncrypted=True, KmsKeyId=key(aws),
                           BackupRetentionPeriod=7, DeletionProtection=True, **base)
    rds.create_db_instance(DBInstanceIdentifier="live-bad", BackupRetentionPeriod=1, **base)
    for policy in ("MZ_KMS_RDS", "MZ_RET_RDS_BACKUP", "MZ_RET_RDS_DELETION_PROTECTION"):
        assert run(aws, policy, "AWS::RDS::DBInstance", "live-good"), policy
        assert not run(aws, policy, "AWS::RDS::DBInstance", "live-bad"), policy
    rds.modify_db_instance(DBInstanceIdentifier="live-good", DeletionProtection=False)
    assert run(aws, "MZ_TLS_RDS_FORCE_SSL", "AWS::RDS::DBParameterGroup", "live-ssl")
    assert not run(aws, "MZ_TLS_RDS_FORCE_SSL", "AWS::RDS::DBParameterGroup", "live-plain")


def test_elbv2_listeners_and_api_domain(aws):
    ec2, elbv2, apigw = (aws.client(s, REGION) for s in ("ec2", "elbv2", "apigateway"))
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.3.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((0, "a"), (1, "b"))]
    lb = elbv2.create_load_balancer(Name="live", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(Name="live", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    cert = aws.client("acm", REGION).request_certificate(DomainName="live.example.org")["CertificateArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]

    def listener(**kw):
        return elbv2.create_listener(LoadBalancerArn=lb, DefaultActions=kw.pop("actions", forward), **kw)["Listeners"][0]["ListenerArn"]

    modern = listener(Port=443, Protocol="HTTPS", SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", Certificates=[{"CertificateArn": cert}])
    old = listener(Port=8443, Protocol="HTTPS", SslPolicy="ELBSecurityPolicy-2016-08", Certificates=[{"CertificateArn": cert}])
    redirect = listener(Port=80, Protocol="HTTP", actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    plain = listener(Port=8080, Protocol="HTTP")
    for arn, expected in ((modern, True), (old, False), (redirect, True), (plain, False)):
        assert run(aws, "MZ_TLS_ELBV2_LISTENER", "AWS::ElasticLoadBalancingV2::Listener", arn) is expected
    apigw.create_domain_name(domainName="good.example.org", securityPolicy="TLS_1_2", regionalCertificateArn=cert)
    apigw.create_domain_name(domainName="bad.example.org", securityPolicy="TLS_1_0", regionalCertificateArn=cert)
    assert run(aws, "MZ_TLS_APIGW_DOMAIN", "AWS::ApiGateway::DomainName", "good.example.org")
    assert not run(aws, "MZ_TLS_APIGW_DOMAIN", "AWS::ApiGateway::DomainName", "bad.example.org")


def test_classic_elb_and_cloudfront(aws):
    elb = aws.client("elb", REGION)
    cert = aws.client("acm", REGION).request_certificate(DomainName="classic.example.org")["CertificateArn"]
    elb.create_load_balancer(LoadBalancerName="live-tls", AvailabilityZones=[f"{REGION}a"], Listeners=[
        {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 8080, "SSLCertificateId": cert}])
    elb.create_load_balancer(LoadBalancerName="live-plain", AvailabilityZones=[f"{REGION}a"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080}])
    assert run(aws, "MZ_TLS_ELB_CLASSIC", "AWS::ElasticLoadBalancing::LoadBalancer", "live-tls")
    assert not run(aws, "MZ_TLS_ELB_CLASSIC", "AWS::ElasticLoadBalancing::LoadBalancer", "live-plain")
    cloudfront = aws.client("cloudfront", REGION)

    def distribution(viewer, minimum):
        return cloudfront.create_distribution(DistributionConfig={
            "CallerReference": f"{viewer}-{minimum}", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example.org",
                                                  "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": viewer, "MinTTL": 0,
                                     "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
            "ViewerCertificate": {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": minimum},
        })["Distribution"]["Id"]

    assert run(aws, "MZ_TLS_CLOUDFRONT", "AWS::CloudFront::Distribution", distribution("redirect-to-https", "TLSv1.2_2021"))
    assert not run(aws, "MZ_TLS_CLOUDFRONT", "AWS::CloudFront::Distribution", distribution("allow-all", "TLSv1"))
