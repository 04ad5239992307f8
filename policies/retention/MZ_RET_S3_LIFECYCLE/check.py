"""MZ_RET_S3_LIFECYCLE: Status and expiration of each lifecycle rule are judged together.

(A Checkov YAML policy cannot do that: a *Disabled* rule expiring after 1 day would fail
it, and an enabled one might pass on another rule's days.)
"""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_int, not_applicable
from medzen_harness.compliance.template import Unresolved, line_of, short

RETENTION_DAYS = 2555  # 7 years
EXPECTED = f"no enabled lifecycle rule expiring current or noncurrent versions in under {RETENTION_DAYS} days"
EXPIRY_FIELDS = ("ExpirationInDays", "NoncurrentVersionExpirationInDays", "NoncurrentVersionExpiration.NoncurrentDays")


class PhiBucketSevenYearLifecycle(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::S3::Bucket",)

    def judge(self, resource):
        phi = resource.tags.get("DataClassification")
        if isinstance(phi, Unresolved):
            verdicts = Verdicts()
            verdicts.unknown(f"tag DataClassification: {phi.reason}")
            return verdicts.judgement(EXPECTED)
        if not resource.holds_phi():
            return not_applicable("not tagged DataClassification=PHI")
        template, verdicts = resource.template, Verdicts()
        rules = template.get(resource.properties, "LifecycleConfiguration.Rules")
        if isinstance(rules, Unresolved):
            verdicts.unknown(rules.reason)
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            name = f"rule {template.resolve(rule.get('Id', index + 1))}" if isinstance(rule, dict) else f"rule {index + 1}"
            status = template.get(rule, "Status")
            if isinstance(status, Unresolved):
                verdicts.unknown(f"{name} Status: {status.reason}", line_of(rule))
                continue
            if status != "Enabled":
                verdicts.ok(f"{name} is {status} (deletes nothing)")
                continue
            if template.get(rule, "ExpirationDate") is not None:
                verdicts.fail(f"{name} expires objects on a fixed ExpirationDate", line_of(rule))
            for field in EXPIRY_FIELDS:
                days = template.get(rule, field)
                if days is None:
                    continue
                if isinstance(days, Unresolved):
                    verdicts.unknown(f"{name} {field}: {days.reason}", line_of(rule))
                elif as_int(days) is None or as_int(days) < RETENTION_DAYS:
                    verdicts.fail(f"enabled {name} has {field} {short(days)}", line_of(rule))
                else:
                    verdicts.ok(f"{name} {field} {days}")
        if not verdicts.passes and not verdicts.failures and not verdicts.unknowns:
            verdicts.ok("no lifecycle expiration")
        return verdicts.judgement(EXPECTED)


check = PhiBucketSevenYearLifecycle()
