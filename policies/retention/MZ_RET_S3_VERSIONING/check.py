"""MZ_RET_S3_VERSIONING: PHI-tagged buckets (tag and status judged together) are versioned."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, not_applicable
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "VersioningConfiguration.Status Enabled on a PHI bucket"


class PhiBucketVersioning(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::S3::Bucket",)

    def judge(self, resource):
        verdicts = Verdicts()
        phi = resource.tags.get("DataClassification")
        if isinstance(phi, Unresolved):
            verdicts.unknown(f"tag DataClassification: {phi.reason}")
            return verdicts.judgement(EXPECTED)
        if not resource.holds_phi():
            return not_applicable("not tagged DataClassification=PHI")
        status = resource.template.get(resource.properties, "VersioningConfiguration.Status")
        line = line_of(resource.properties.get("VersioningConfiguration"))
        if isinstance(status, Unresolved):
            verdicts.unknown(f"VersioningConfiguration.Status: {status.reason}", line)
        elif status == "Enabled":
            verdicts.ok("versioning Enabled")
        else:
            verdicts.fail("versioning " + ("not configured" if status is None else short(status)), line)
        return verdicts.judgement(EXPECTED)


check = PhiBucketVersioning()
