"""MZ_RET_LOGS: an explicit, numeric RetentionInDays of at least 30 days.

A Python check although it judges one attribute: Checkov's YAML `greater_than_or_equal`
passes a non-numeric value such as "thirty".
"""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_int
from medzen_harness.compliance.template import Unresolved, line_of, short

MINIMUM_DAYS = 30
EXPECTED = f"an explicit RetentionInDays >= {MINIMUM_DAYS}"


class LogGroupRetention(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::Logs::LogGroup",)

    def judge(self, resource):
        verdicts = Verdicts()
        days = resource.template.get(resource.properties, "RetentionInDays")
        line = line_of(resource.properties.get("RetentionInDays"))
        if isinstance(days, Unresolved):
            verdicts.unknown(f"RetentionInDays: {days.reason}", line)
        elif days is None:
            verdicts.fail("no RetentionInDays: logs are kept forever, unmanaged")
        elif as_int(days) is None or as_int(days) < MINIMUM_DAYS:
            verdicts.fail(f"RetentionInDays {short(days)}", line)
        else:
            verdicts.ok(f"RetentionInDays {days}")
        return verdicts.judgement(EXPECTED)


check = LogGroupRetention()
