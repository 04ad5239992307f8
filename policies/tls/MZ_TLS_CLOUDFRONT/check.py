"""MZ_TLS_CLOUDFRONT: every behaviour's viewer protocol + the viewer certificate's minimum TLS."""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_bool
from medzen_harness.compliance.template import Unresolved, line_of, short

EXPECTED = ("ViewerProtocolPolicy https-only/redirect-to-https on every behaviour and a custom "
            "certificate with MinimumProtocolVersion TLSv1.2_2021 or newer")
HTTPS_POLICIES = ("https-only", "redirect-to-https")
MODERN_MINIMUMS = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")


class CloudFrontViewerTls12(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::CloudFront::Distribution",)

    def judge(self, resource):
        template, verdicts = resource.template, Verdicts()
        config = template.get(resource.properties, "DistributionConfig")
        if isinstance(config, Unresolved) or not isinstance(config, dict):
            verdicts.unknown(f"DistributionConfig: {short(config)}")
            return verdicts.judgement(EXPECTED)
        behaviours = [("DefaultCacheBehavior", config.get("DefaultCacheBehavior"))]
        cache_behaviours = template.resolve(config.get("CacheBehaviors")) or []
        if isinstance(cache_behaviours, Unresolved):
            verdicts.unknown(f"CacheBehaviors: {cache_behaviours.reason}")
            cache_behaviours = []
        for behaviour in cache_behaviours:
            pattern = template.resolve(behaviour.get("PathPattern", "?")) if isinstance(behaviour, dict) else "?"
            behaviours.append((f"CacheBehavior {pattern}", behaviour))
        for name, behaviour in behaviours:
            policy = template.get(behaviour, "ViewerProtocolPolicy")
            if isinstance(policy, Unresolved):
                verdicts.unknown(f"{name}: {policy.reason}", line_of(behaviour))
            elif policy in HTTPS_POLICIES:
                verdicts.ok(f"{name} {policy}")
            else:
                verdicts.fail(f"{name} ViewerProtocolPolicy {short(policy)}", line_of(behaviour))
        certificate = config.get("ViewerCertificate")
        default_cert = as_bool(template.get(config, "ViewerCertificate.CloudFrontDefaultCertificate"))
        minimum = template.get(config, "ViewerCertificate.MinimumProtocolVersion")
        if certificate is None or default_cert:
            verdicts.fail("the default CloudFront certificate (no minimum TLS version can be enforced)",
                          line_of(certificate))
        elif isinstance(minimum, Unresolved):
            verdicts.unknown(f"MinimumProtocolVersion: {minimum.reason}", line_of(certificate))
        elif minimum in MODERN_MINIMUMS:
            verdicts.ok(f"MinimumProtocolVersion {minimum}")
        else:
            verdicts.fail(f"MinimumProtocolVersion {short(minimum) if minimum else 'absent (TLSv1)'}",
                          line_of(certificate))
        return verdicts.judgement(EXPECTED)


check = CloudFrontViewerTls12()
