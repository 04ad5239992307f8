"""MZ_TLS_S3_POLICY: a bucket's policy (found through the template) denies insecure transport.

Connection + "Effect and Condition of the same statement": a Python check. The policy is
matched to the bucket by `Bucket: !Ref TheBucket` or by the same expression as the
bucket's BucketName (e.g. the same `!Sub`).
"""

from medzen_harness.compliance.judged_check import JudgedCheck, Verdicts, as_bool
from medzen_harness.compliance.template import Unresolved, _plain, line_of

EXPECTED = "a bucket policy with an Effect Deny statement on aws:SecureTransport = false"


def denies_insecure_transport(template, document):
    statements = template.get(document, "Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or template.resolve(statement.get("Effect")) != "Deny":
            continue
        conditions = template.resolve(statement.get("Condition"))
        for operator in ("Bool", "BoolIfExists"):
            block = conditions.get(operator) if isinstance(conditions, dict) else None
            value = template.resolve(block.get("aws:SecureTransport")) if isinstance(block, dict) else None
            if as_bool(value) is False:
                return True
    return False


def policies_of(template, bucket_id):
    """(matching policies, policies whose Bucket cannot be evaluated)."""
    bucket_name = template.properties(bucket_id).get("BucketName")
    matching, unknown = [], []
    for logical_id, resource in template.resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::S3::BucketPolicy":
            continue
        target = (resource.get("Properties") or {}).get("Bucket")
        resolved = template.resolve(target)
        if (getattr(resolved, "logical_id", None) == bucket_id
                or (bucket_name is not None and _plain(target) == _plain(bucket_name))
                or (isinstance(resolved, str) and resolved == template.resolve(bucket_name))):
            matching.append(logical_id)
        elif isinstance(resolved, Unresolved):
            unknown.append(f"{logical_id}: {resolved.reason}")
    return matching, unknown


class S3DenyInsecureTransport(JudgedCheck):
    policy_file = __file__
    supported_resources = ("AWS::S3::Bucket",)

    def judge(self, resource):
        template, verdicts = resource.template, Verdicts()
        matching, unknown = policies_of(template, resource.logical_id)
        for policy_id in matching:
            document = template.get(template.properties(policy_id), "PolicyDocument")
            if isinstance(document, Unresolved):
                verdicts.unknown(f"{policy_id}.PolicyDocument: {document.reason}")
            elif denies_insecure_transport(template, document):
                verdicts.ok(f"{policy_id} denies aws:SecureTransport=false")
                return verdicts.judgement(EXPECTED)
        if unknown and not verdicts.unknowns:
            verdicts.unknown("no bucket policy of this template names the bucket, and some cannot be "
                             "matched statically: " + "; ".join(unknown))
        elif matching and not verdicts.unknowns:
            verdicts.fail(f"{', '.join(matching)} has no Deny statement for aws:SecureTransport=false "
                          "(an Allow on aws:SecureTransport=true does not block HTTP)",
                          line_of(template.resources[matching[0]]))
        elif not matching:
            verdicts.fail("no AWS::S3::BucketPolicy for this bucket in the template: plain HTTP is accepted")
        return verdicts.judgement(EXPECTED)


check = S3DenyInsecureTransport()
