"""MZ_TLS_APIGW_DOMAIN: SecurityPolicy TLS_1_2 (REST) / on every configuration (HTTP APIs)."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "SecurityPolicy TLS_1_2 (or a newer TLS 1.3/1.2 enhanced policy)"


def is_tls12(policy):
    text = str(policy)
    return text == "TLS_1_2" or text.startswith(("SecurityPolicy_TLS13", "SecurityPolicy_TLS12"))


def judge_policy(verdicts, policy, what, line):
    if isinstance(policy, Unresolved):
        verdicts.unknown(f"{what}: {policy.reason}", line)
    elif policy is not None and is_tls12(policy):
        verdicts.ok(f"{what} {policy}")
    else:
        verdicts.fail(f"{what} {short(policy) if policy else 'absent (TLS_1_0)'}", line)


class ApiGatewayDomainTls12(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName")

    def judge(self, resource):
        props, template, verdicts = resource.properties, resource.template, Verdicts()
        if resource.type == "AWS::ApiGateway::DomainName":
            judge_policy(verdicts, template.get(props, "SecurityPolicy"), "SecurityPolicy",
                         line_of(props.get("SecurityPolicy")))
        else:
            configurations = template.get(props, "DomainNameConfigurations")
            if isinstance(configurations, Unresolved):
                verdicts.unknown(f"DomainNameConfigurations: {configurations.reason}")
            elif not configurations:
                verdicts.fail("no DomainNameConfigurations")
            for configuration in configurations if isinstance(configurations, list) else []:
                judge_policy(verdicts, template.get(configuration, "SecurityPolicy"),
                             "DomainNameConfigurations SecurityPolicy", line_of(configuration))
        return verdicts.judgement(EXPECTED)


check = ApiGatewayDomainTls12()
