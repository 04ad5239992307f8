"""MZ_TLS_ELB_CLASSIC: each listener's protocol and its negotiation policy judged together."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "only HTTPS/SSL listeners with a TLS 1.2 Reference-Security-Policy"
TLS12_POLICIES = ("ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06")


def tls12_policy_names(template, props):
    names = set()
    for policy in template.get(props, "Policies") or []:
        if not isinstance(policy, dict) or template.resolve(policy.get("PolicyType")) != "SSLNegotiationPolicyType":
            continue
        for attribute in policy.get("Attributes") or []:
            if (isinstance(attribute, dict) and attribute.get("Name") == "Reference-Security-Policy"
                    and template.resolve(attribute.get("Value")) in TLS12_POLICIES):
                names.add(template.resolve(policy.get("PolicyName")))
    return names


class ClassicElbTls12(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::ElasticLoadBalancing::LoadBalancer",)

    def judge(self, resource):
        props, template, verdicts = resource.properties, resource.template, Verdicts()
        listeners = template.get(props, "Listeners")
        if isinstance(listeners, Unresolved):
            verdicts.unknown(f"Listeners: {listeners.reason}")
            return verdicts.judgement(EXPECTED)
        good_policies = tls12_policy_names(template, props)
        for listener in listeners or []:
            port = template.resolve(listener.get("LoadBalancerPort", "?"))
            protocol = template.resolve(listener.get("Protocol"))
            if isinstance(protocol, Unresolved):
                verdicts.unknown(f"listener {port}: {protocol.reason}", line_of(listener))
            elif str(protocol).upper() not in ("HTTPS", "SSL"):
                verdicts.fail(f"listener {port} uses {short(protocol)} (clear text)", line_of(listener))
            elif not {template.resolve(n) for n in listener.get("PolicyNames") or []} & good_policies:
                verdicts.fail(f"listener {port} ({protocol}) has no TLS 1.2 negotiation policy "
                              "(default ELBSecurityPolicy-2016-08 accepts TLS 1.0)", line_of(listener))
            else:
                verdicts.ok(f"listener {port} {protocol} with a TLS 1.2 policy")
        return verdicts.judgement(EXPECTED)


check = ClassicElbTls12()
