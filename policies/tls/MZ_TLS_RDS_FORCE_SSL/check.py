"""MZ_TLS_RDS_FORCE_SSL: Family (is it PostgreSQL?) and Parameters judged together."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_int, not_applicable
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = 'Parameters "rds.force_ssl": "1" in a PostgreSQL parameter group'


class RdsPostgresForceSsl(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::RDS::DBParameterGroup", "AWS::RDS::DBClusterParameterGroup")

    def judge(self, resource):
        props, template, verdicts = resource.properties, resource.template, Verdicts()
        family = template.get(props, "Family")
        if isinstance(family, Unresolved):
            verdicts.unknown(f"Family: {family.reason}", line_of(props.get("Family")))
            return verdicts.judgement(EXPECTED)
        if not str(family or "").lower().startswith(("postgres", "aurora-postgresql")):
            return not_applicable(f"Family {family} is not PostgreSQL")
        parameters = template.resolve(props.get("Parameters"))
        value = template.resolve(parameters.get("rds.force_ssl")) if isinstance(parameters, dict) else None
        line = line_of(props.get("Parameters"))
        if isinstance(parameters, Unresolved) or isinstance(value, Unresolved):
            verdicts.unknown(f"rds.force_ssl: {(parameters if isinstance(parameters, Unresolved) else value).reason}", line)
        elif as_int(value) == 1:
            verdicts.ok(f"{family} rds.force_ssl 1")
        else:
            verdicts.fail(f"{family} rds.force_ssl {short(value) if value is not None else 'not set'}", line)
        return verdicts.judgement(EXPECTED)


check = RdsPostgresForceSsl()
