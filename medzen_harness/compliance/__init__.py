"""Pre-release compliance gate: cfn-lint + our Checkov policies, findings mapped to HIPAA controls."""
