"""TLS 1.2+ in transit, read back from each service (HIPAA 164.312(e)(1))."""

from __future__ import annotations

import json
from typing import Any

from medzen_harness.aws.architecture import TLS12_ELB_POLICIES
from medzen_harness.aws.live import live_check


@live_check("MZ_TLS_ELBV2_LISTENER", "AWS::ElasticLoadBalancingV2::Listener", "elbv2")
def elbv2_listener(elbv2: Any, arn: str) -> tuple[bool, str]:
    """HTTPS/TLS with a TLS 1.2+ policy, or plain HTTP that only redirects to HTTPS."""
    listener = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    if listener["Protocol"] in ("HTTPS", "TLS"):
        policy = listener.get("SslPolicy")
        return policy in TLS12_ELB_POLICIES, f"{listener['Port']}/{listener['Protocol']} {policy}"
    actions = listener["DefaultActions"]
    redirects = all(a["Type"] == "redirect" and a.get("RedirectConfig", {}).get("Protocol") == "HTTPS" for a in actions)
    return redirects, f"{listener['Port']}/{listener['Protocol']} " + ", ".join(
        f"{a['Type']}" + (f" to {a['RedirectConfig'].get('Protocol')}" if a["Type"] == "redirect" else "") for a in actions)


@live_check("MZ_TLS_ELB_CLASSIC", "AWS::ElasticLoadBalancing::LoadBalancer", "elb")
def classic_elb(elb: Any, name: str) -> tuple[bool, str]:
    lb = elb.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"][0]
    protocols = [d["Listener"]["Protocol"] for d in lb["ListenerDescriptions"]]
    return all(p in ("HTTPS", "SSL") for p in protocols), f"listeners {protocols}"


@live_check("MZ_TLS_S3_POLICY", "AWS::S3::Bucket", "s3")
def s3_secure_transport(s3: Any, bucket: str) -> tuple[bool, str]:
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as error:
        return False, f"no bucket policy ({error.response['Error']['Code']})"
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    denies = [s for s in statements if s.get("Effect") == "Deny"
              and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"]
    return bool(denies), f"{len(denies)} Deny statement(s) on aws:SecureTransport=false"


@live_check("MZ_TLS_CLOUDFRONT", "AWS::CloudFront::Distribution", "cloudfront")
def cloudfront_tls(cloudfront: Any, distribution_id: str) -> tuple[bool, str]:
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    viewer = config["DefaultCacheBehavior"]["ViewerProtocolPolicy"]
    minimum = config.get("ViewerCertificate", {}).get("MinimumProtocolVersion", "TLSv1")
    ok = viewer in ("redirect-to-https", "https-only") and minimum.startswith("TLSv1.2")
    return ok, f"ViewerProtocolPolicy={viewer}, MinimumProtocolVersion={minimum}"


@live_check("MZ_TLS_APIGW_DOMAIN", "AWS::ApiGateway::DomainName", "apigateway")
def apigw_domain(apigateway: Any, domain: str) -> tuple[bool, str]:
    policy = apigateway.get_domain_name(domainName=domain).get("securityPolicy", "TLS_1_0")
    return policy == "TLS_1_2", f"securityPolicy={policy}"


@live_check("MZ_TLS_RDS_FORCE_SSL", "AWS::RDS::DBParameterGroup", "rds")
def rds_force_ssl(rds: Any, group_name: str) -> tuple[bool, str]:
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group_name)
    values = [p.get("ParameterValue") for page in pages for p in page["Parameters"] if p["ParameterName"] == "rds.force_ssl"]
    return "1" in values, f"rds.force_ssl={values[0] if values else 'not set'}"
