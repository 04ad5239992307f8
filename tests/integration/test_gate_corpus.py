"""The gate over the public AWS samples in ../shared/corpus: no crash, a verdict per template,
and the verdicts that are actually true of those files."""

import pytest

from medzen_harness.compliance.gate import corpus_dir


def verdict(report, template, policy, resource):
    found = [f for f in report.findings
             if f.file.endswith(template) and f.policy == policy and f.resource == resource]
    assert len(found) == 1, (template, policy, resource, found)
    return found[0]


def test_every_corpus_template_is_judged(corpus_report):
    templates = sorted(p.name for p in corpus_dir().glob("*.yaml"))
    assert len(templates) >= 14
    judged = {f.file.rsplit("/", 1)[-1] for f in corpus_report.findings}
    assert judged == set(templates)
    for name in templates:  # each one has its cfn-lint record and at least one policy record
        records = [f for f in corpus_report.findings if f.file.endswith(name)]
        assert any(f.family == "lint" for f in records), name
    assert corpus_report.exit_code == 1  # samples are not HIPAA-hardened


def test_compliant_bucket_sample_uses_aes256_but_denies_plain_http(corpus_report):
    name = "S3__compliant-bucket.yaml"
    for bucket in ("ObjectStorageBucket", "ObjectStorageLogBucket", "ObjectStorageReplicaBucket"):
        kms = verdict(corpus_report, name, "MZ_KMS_S3", bucket)
        assert kms.status == "failed" and "SSEAlgorithm AES256" in kms.message
        # its bucket policies name the bucket with the same !Sub expression, and Deny SecureTransport=false
        tls = verdict(corpus_report, name, "MZ_TLS_S3_POLICY", bucket)
        assert tls.status == "passed", tls.message
    # no DataClassification=PHI tag: the PHI retention policies do not apply
    assert not [f for f in corpus_report.findings if f.file.endswith(name) and f.policy.startswith("MZ_RET_S3")]


def test_kms_replication_sample_uses_its_own_key(corpus_report):
    source = "Solutions__S3CrossAccountReplicationWithKMS__templates__source.yaml"
    kms = verdict(corpus_report, source, "MZ_KMS_S3", "S3BucketSource")
    assert kms.status == "passed" and "KmsKey (AWS::KMS::Key in this template)" in kms.message
    assert verdict(corpus_report, source, "MZ_KMS_ROTATION", "KmsKey").status == "passed"
    assert verdict(corpus_report, source, "MZ_TLS_S3_POLICY", "S3BucketSource").status == "failed"


@pytest.mark.parametrize(("template", "policy", "resource", "words"), [
    # KmsMasterKeyId: !If [IsKmsExist, !Ref Param (default alias/aws/sqs), !Ref AWS::NoValue]
    ("SQS__SQSStandardQueue.yaml", "MZ_KMS_SQS", "SQSQueue",
     "Fn::If IsKmsExist: the AWS-managed key 'alias/aws/sqs' / no key (AWS::NoValue)"),
    # KmsKeyId: !If [Cond, !Ref ParamWithoutDefault, !Ref AWS::NoValue]: one deploy mode has no key
    ("Solutions__VPCFlowLogs__templates__VPCFlowLogsCloudWatch.cfn.yaml", "MZ_KMS_LOGS", "VPCFlowLogsLogGroup",
     "/ no key (AWS::NoValue)"),
])
def test_conditional_keys_are_judged_in_every_deploy_mode(corpus_report, template, policy, resource, words):
    finding = verdict(corpus_report, template, policy, resource)
    assert finding.status == "failed" and words in finding.message


@pytest.mark.parametrize(("template", "policy", "resource", "words"), [
    ("ElasticLoadBalancing__ELB_Access_Logs_And_Connection_Draining.yaml", "MZ_TLS_ELB_CLASSIC",
     "ElasticLoadBalancer", "uses HTTP (clear text)"),
    ("ECS__FargateLaunchType__clusters__public-vpc.yaml", "MZ_TLS_ELBV2_LISTENER", "PublicLoadBalancerListener",
     "HTTP listener default action forward"),
    ("RDS__RDS_MySQL_With_Read_Replica.yaml", "MZ_KMS_RDS", "MainDB", "AWS-managed key aws/rds"),  # encrypted, no CMK
    ("DynamoDB__DynamoDB_Table.yaml", "MZ_KMS_DYNAMODB", "myDynamoDBTable", "SSEEnabled absent"),
    ("CloudFormation__StackSets__log-setup-management.yaml", "MZ_KMS_ROTATION", "CentralEventLogKey",
     "EnableKeyRotation = absent"),
])
def test_real_violations_in_the_samples(corpus_report, template, policy, resource, words):
    finding = verdict(corpus_report, template, policy, resource)
    assert finding.status == "failed" and words in finding.message


def test_cfn_lint_error_in_a_rain_template_is_a_lint_finding(corpus_report):
    # log-setup-management.yaml uses the Rain pre-processor directive Fn::Rain::Embed
    lint = [f for f in corpus_report.findings
            if f.file.endswith("log-setup-management.yaml") and f.family == "lint"]
    assert any(f.policy == "E3012" and "Fn::Rain::Embed" in f.message and f.severity == "high" for f in lint)
