"""MZ_TLS_ELBV2_LISTENER: protocol, SslPolicy and default actions judged together."""

import re

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = "HTTPS/TLS with a TLS 1.2+ SslPolicy, or HTTP whose default action redirects to HTTPS"
# ELBv2 policies whose minimum protocol is TLS 1.2 (or 1.3): TLS13-1-2*, TLS13-1-3*, TLS-1-2*, FS-1-2*.
TLS12_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)")


def judge_redirects(verdicts, template, actions):
    if not isinstance(actions, list) or not actions:
        verdicts.fail("HTTP listener without default actions")
        return
    for action in actions:
        kind = template.get(action, "Type")
        protocol = template.get(action, "RedirectConfig.Protocol")
        if isinstance(kind, Unresolved) or isinstance(protocol, Unresolved):
            verdicts.unknown(f"default action: {(kind if isinstance(kind, Unresolved) else protocol).reason}",
                             line_of(action))
        elif kind == "redirect" and protocol == "HTTPS":
            verdicts.ok("HTTP listener redirects to HTTPS")
        else:
            shown = f"redirect to {protocol or '#{protocol}'}" if kind == "redirect" else short(kind)
            verdicts.fail(f"HTTP listener default action {shown} serves plain HTTP", line_of(action))


class Elbv2ListenerTls12(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::ElasticLoadBalancingV2::Listener",)

    def judge(self, resource):
        props, template, verdicts = resource.properties, resource.template, Verdicts()
        protocol = template.get(props, "Protocol")
        if isinstance(protocol, Unresolved):
            verdicts.unknown(f"Protocol: {protocol.reason}", line_of(props.get("Protocol")))
        elif protocol in ("HTTPS", "TLS"):
            policy = template.get(props, "SslPolicy")
            line = line_of(props.get("SslPolicy")) or line_of(props.get("Protocol"))
            if isinstance(policy, Unresolved):
                verdicts.unknown(f"SslPolicy: {policy.reason}", line)
            elif policy is None:
                verdicts.fail(f"{protocol} listener without SslPolicy (default ELBSecurityPolicy-2016-08 allows TLS 1.0)", line)
            elif TLS12_POLICY.match(str(policy)):
                verdicts.ok(f"{protocol} with {policy}")
            else:
                verdicts.fail(f"{protocol} with {policy}, which accepts protocols older than TLS 1.2", line)
        elif protocol == "HTTP":
            judge_redirects(verdicts, template, template.get(props, "DefaultActions"))
        else:
            verdicts.fail(f"Protocol {short(protocol)} is not encrypted", line_of(props.get("Protocol")))
        return verdicts.judgement(EXPECTED)


check = Elbv2ListenerTls12()
