@epic:Compliance
Feature: HIPAA compliance of the MedZen CloudFormation templates before release
  As an auditor of MedZen's telehealth platform
  I want every CloudFormation template checked against the MedZen encryption, retention and
  transport policies before it is released
  So that patient data (PHI) is encrypted with keys MedZen controls, kept for seven years,
  recoverable, and never sent over the network without TLS 1.2 or newer.

  Each policy check below is also in the gate's own report, one entry per policy and resource,
  with the template excerpt as evidence.

  @feature:kms @story:encryption-at-rest @severity:critical @hipaa:164.312(a)(2)(iv)
  Scenario: Stored patient data is encrypted with customer-managed KMS keys
    Given the MedZen CloudFormation templates
    When the compliance gate runs
    Then every S3 bucket holding PHI is encrypted with a customer-managed KMS key
    And every database and the audit-log table are encrypted with a customer-managed KMS key
    And every log group, topic, queue and secret is encrypted with a customer-managed KMS key
    And every KMS key rotates its key material automatically
    And no encryption policy reports a finding

  @feature:retention @story:retention-and-recovery @severity:critical @hipaa:164.316(b)(2)(i) @hipaa:164.308(a)(7) @hipaa:164.312(c)(1)
  Scenario: Patient data is kept for seven years and can be recovered
    Given the MedZen CloudFormation templates
    When the compliance gate runs
    Then every S3 bucket holding PHI keeps its objects and their versions for at least 2555 days
    And every S3 bucket holding PHI is versioned
    And every database keeps at least 7 days of backups and is protected from deletion
    And the audit-log table can be restored to any point in time
    And every log group keeps its logs for at least 30 days
    And no retention policy reports a finding

  @feature:tls @story:encryption-in-transit @severity:critical @hipaa:164.312(e)(1) @hipaa:164.312(e)(2)(ii)
  Scenario: Patient data travels only over TLS 1.2 or newer
    Given the MedZen CloudFormation templates
    When the compliance gate runs
    Then every load balancer accepts only TLS 1.2 or newer and plain HTTP only redirects to HTTPS
    And every S3 bucket refuses requests that do not use TLS
    And every API custom domain requires TLS 1.2
    And the EHR database refuses connections without TLS
    And no transport policy reports a finding

  @feature:lint @story:valid-templates @severity:high
  Scenario: The templates are valid CloudFormation
    Given the MedZen CloudFormation templates
    When the compliance gate runs
    Then cfn-lint reports no error and no warning

  @feature:gate @story:release-gate @severity:critical
  Scenario Outline: The release gate passes template <template>
    Given the MedZen template "<template>"
    When the compliance gate runs
    Then the template has no finding and no unjustified waiver

    Examples:
      | template                           |
      | global-infrastructure.yaml         |
      | ehrbase-multi-region.yaml          |
      | bedrock-ai-multi-region.yaml       |
      | chime-sdk-multi-region.yaml        |
      | chaos/fis-network-disruption.yaml  |
      | chaos/fis-ecs-stop-task.yaml       |
      | chaos/fis-rds-reboot-failover.yaml |
