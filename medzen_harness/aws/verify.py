"""Verify the deployed stacks through each service's own API (describe calls), against the
architecture: what each stack must contain is the plan's `expect:` block.

Every check returns `CheckResult`s with the contract fields (id, region, resource, status,
reason) plus `expected` / `actual` for the evidence tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import botocore.exceptions

from medzen_harness.aws import architecture
from medzen_harness.aws.deploy import BOTO_ERRORS, COMPLETE, StackResult, error_text
from medzen_harness.aws.emulator import gap_for
from medzen_harness.aws.plan import StackPlan, StackSpec
from medzen_harness.aws.targets import AwsTarget


@dataclass
class CheckResult:
    id: str
    region: str
    resource: str
    status: str  # passed | failed | skipped
    reason: str = ""
    expected: str = ""
    actual: str = ""
    stack: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def contract(self) -> dict[str, str]:
        return {"id": self.id, "region": self.region, "resource": self.resource, "status": self.status, "reason": self.reason}

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data


def judged(check_id: str, region: str, resource: str, ok: bool, expected: str, actual: str, stack: str = "") -> CheckResult:
    return CheckResult(check_id, region, resource, "passed" if ok else "failed",
                       "" if ok else f"expected {expected}; the account shows {actual}", expected, actual, stack)


@dataclass
class Deployed:
    """What the checks look at: the plan and, per stack, its result (outputs, resources)."""

    target: AwsTarget
    plan: StackPlan
    stacks: dict[str, StackResult]

    def resources(self, spec: StackSpec, resource_type: str) -> list[dict[str, str]]:
        return [r for r in self.stacks[spec.id].resources if r["type"] == resource_type and r["physical"]]


Check = Callable[[Deployed, StackSpec], Iterable[CheckResult]]


def stack_complete(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    cf = env.target.client("cloudformation", spec.region)
    try:
        status = cf.describe_stacks(StackName=spec.name)["Stacks"][0]["StackStatus"]
    except botocore.exceptions.ClientError as error:
        status = f"absent ({error_text(error)})"
    yield judged("stack_complete", spec.region, spec.name, status in COMPLETE, " or ".join(COMPLETE), status, spec.name)


def _db(env: Deployed, spec: StackSpec) -> dict[str, Any] | None:
    found = env.resources(spec, "AWS::RDS::DBInstance")
    if not found:
        return None
    return env.target.client("rds", spec.region).describe_db_instances(DBInstanceIdentifier=found[0]["physical"])["DBInstances"][0]


def rds_role(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    role = spec.expect.get("rds")
    if not role:
        return
    db = _db(env, spec)
    if db is None:
        yield judged(f"rds_{role}", spec.region, spec.name, False, f"an RDS instance ({role})", "none in the stack", spec.name)
        return
    arn_region = db["DBInstanceArn"].split(":")[3]
    source = db.get("ReadReplicaSourceDBInstanceIdentifier") or ""
    if role == "primary":
        actual = f"region {arn_region}, MultiAZ={db.get('MultiAZ')}, replica of {source or 'nothing'}, engine {db.get('Engine')}"
        ok = arn_region == spec.region and not source and bool(db.get("MultiAZ"))
        yield judged("rds_primary", spec.region, db["DBInstanceIdentifier"], ok,
                     f"a Multi-AZ primary (not a replica) in {spec.region}", actual, spec.name)
        return
    primary_spec = env.plan.stack(spec.expect["replica_of"])
    primary = _db(env, primary_spec)
    primary_arn = primary["DBInstanceArn"] if primary else "missing"
    listed = primary.get("ReadReplicaDBInstanceIdentifiers", []) if primary else []
    ok = source == primary_arn and arn_region == spec.region and primary_spec.region != spec.region and db["DBInstanceArn"] in listed
    actual = f"region {arn_region}, replica of {source or 'nothing'}; primary lists {listed or 'no replicas'}"
    yield judged("rds_replica", spec.region, db["DBInstanceIdentifier"], ok,
                 f"a cross-region read replica of {primary_arn} in {spec.region}", actual, spec.name)


def ecs_desired_count(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    want = spec.expect.get("ecs_desired_count")
    if want is None:
        return
    ecs = env.target.client("ecs", spec.region)
    services = env.resources(spec, "AWS::ECS::Service")
    if not services:
        yield judged("ecs_desired_count", spec.region, spec.name, False, f"an ECS service with {want} tasks", "no service", spec.name)
    for r in services:
        arn = r["physical"]
        found = ecs.describe_services(cluster=arn.split("/")[-2], services=[arn])["services"]
        count = found[0]["desiredCount"] if found else "no such service"
        yield judged("ecs_desired_count", spec.region, arn.split("/")[-1], count == want, f"desiredCount {want}", f"desiredCount {count}", spec.name)


def _load_balancers(env: Deployed, spec: StackSpec) -> list[dict[str, Any]]:
    arns = [r["physical"] for r in env.resources(spec, "AWS::ElasticLoadBalancingV2::LoadBalancer")]
    if not arns:
        return []
    return env.target.client("elbv2", spec.region).describe_load_balancers(LoadBalancerArns=arns)["LoadBalancers"]


def alb_listeners(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    if not spec.expect.get("alb"):
        return
    elbv2 = env.target.client("elbv2", spec.region)
    lbs = _load_balancers(env, spec)
    if not lbs:
        yield judged("alb_tls_policy", spec.region, spec.name, False, "an application load balancer", "none", spec.name)
        return
    for lb in lbs:
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        https = [x for x in listeners if x["Protocol"] == "HTTPS"]
        policies = sorted({str(x.get("SslPolicy")) for x in https})
        ok = bool(https) and all(p in architecture.TLS12_ELB_POLICIES for p in policies)
        yield judged("alb_tls_policy", spec.region, lb["LoadBalancerName"], ok,
                     "HTTPS listener(s) with a TLS 1.2+ policy", f"HTTPS policies {policies or 'none'}", spec.name)
        http = [x for x in listeners if x["Protocol"] == "HTTP"]
        redirects = [a.get("RedirectConfig", {}) for x in http for a in x["DefaultActions"] if a["Type"] == "redirect"]
        ok = bool(http) and len(redirects) == len(http) and all(r.get("Protocol") == "HTTPS" for r in redirects)
        shown = [f"{x['Port']}: {[a['Type'] for a in x['DefaultActions']]}" for x in http]
        yield judged("alb_http_redirect", spec.region, lb["LoadBalancerName"], ok,
                     "HTTP listener redirecting to HTTPS", f"HTTP listeners {shown or 'none'}; redirects {redirects}", spec.name)


def _ingress(ec2: Any, group_ids: list[str]) -> list[tuple[str, int, int, str]]:
    """(protocol, from, to, source) for every ingress rule of the groups."""
    rules = []
    for group in ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]:
        for p in group["IpPermissions"]:
            sources = [r["CidrIp"] for r in p.get("IpRanges", [])] + [g["GroupId"] for g in p.get("UserIdGroupPairs", [])]
            sources += [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
            rules += [(p["IpProtocol"], p.get("FromPort", -1), p.get("ToPort", -1), s) for s in sources]
    return sorted(rules)


def security_groups(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    """The architecture's table, following the real wiring: ALB SGs → ECS service SGs → RDS SGs."""
    if not spec.expect.get("alb"):
        return
    ec2 = env.target.client("ec2", spec.region)
    alb_groups = sorted({g for lb in _load_balancers(env, spec) for g in lb.get("SecurityGroups", [])})
    ecs = env.target.client("ecs", spec.region)
    ecs_groups: list[str] = []
    for r in env.resources(spec, "AWS::ECS::Service"):
        for svc in ecs.describe_services(cluster=r["physical"].split("/")[-2], services=[r["physical"]])["services"]:
            ecs_groups += svc.get("networkConfiguration", {}).get("awsvpcConfiguration", {}).get("securityGroups", [])
    wiring = {"alb": alb_groups, "ecs": sorted(set(ecs_groups))}
    for rule in architecture.SECURITY_GROUP_RULES:
        check_id = f"sg_{rule.tier}_from_{rule.source_label}"
        gap = gap_for(check_id, env.target.embedded)
        if gap:
            yield CheckResult(check_id, spec.region, f"{rule.tier} security group", "skipped", gap.skip_reason, rule.describe(), "", spec.name)
            continue
        if rule.tier == "rds":
            db = _db(env, spec)
            groups = [g["VpcSecurityGroupId"] for g in (db or {}).get("VpcSecurityGroups", [])]
        else:
            groups = wiring[rule.tier]
        if not groups:
            yield judged(check_id, spec.region, f"{rule.tier} security group", False, rule.describe(), "no security group attached", spec.name)
            continue
        sources = {"anywhere": ["0.0.0.0/0"], "alb": wiring["alb"], "ecs": wiring["ecs"]}[rule.source_label]
        want = sorted(("tcp", port, port, src) for port in rule.ports for src in sources)
        actual = _ingress(ec2, groups)
        yield judged(check_id, spec.region, ",".join(groups), actual == want, rule.describe(),
                     "; ".join(f"{p} {a}-{b} from {s}" for p, a, b, s in actual) or "no ingress", spec.name)


def buckets_in_region(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    s3 = env.target.client("s3", spec.region)
    for r in env.resources(spec, "AWS::S3::Bucket"):
        location = s3.get_bucket_location(Bucket=r["physical"]).get("LocationConstraint") or "us-east-1"
        yield judged("bucket_region", spec.region, r["physical"], location == spec.region, f"bucket in {spec.region}", f"bucket in {location}", spec.name)


def log_groups(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    logs = env.target.client("logs", spec.region)
    low, high = architecture.LOG_RETENTION_DAYS
    for name in spec.expect.get("log_groups", []):
        groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
        retention = groups[0].get("retentionInDays") if groups else None
        ok = bool(groups) and retention is not None and low <= retention <= high
        actual = f"retention {retention} days" if groups else f"no log group {name} in {spec.region}"
        yield judged("log_group", spec.region, name, ok, f"log group in {spec.region}, retention {low}-{high} days", actual, spec.name)


def route53_failover(env: Deployed, spec: StackSpec) -> Iterable[CheckResult]:
    """Failover records (PRIMARY + SECONDARY per name), the PRIMARY with an existing health
    check; `expect.route53_failover` may map a record-name prefix to its health-check path."""
    expected = spec.expect.get("route53_failover")
    if not expected:
        return
    paths = expected if isinstance(expected, dict) else {}
    route53 = env.target.client("route53", spec.region)
    zones = [r["physical"] for r in env.resources(spec, "AWS::Route53::HostedZone")]
    if not zones:
        yield judged("route53_failover", spec.region, spec.name, False, "a hosted zone with failover records", "no hosted zone", spec.name)
    for zone in zones:
        records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        by_name: dict[str, dict[str, dict[str, Any]]] = {}
        for record in records:
            if record.get("Failover"):
                by_name.setdefault(record["Name"], {})[record["Failover"]] = record
        if not by_name:
            yield judged("route53_failover", spec.region, zone, False, "failover records", "no failover records", spec.name)
        for name, roles in by_name.items():
            primary = roles.get("PRIMARY", {})
            health = None
            if primary.get("HealthCheckId"):
                try:
                    health = route53.get_health_check(HealthCheckId=primary["HealthCheckId"])["HealthCheck"]["HealthCheckConfig"]
                except botocore.exceptions.ClientError:
                    health = None
            path = (health or {}).get("ResourcePath")
            want_path = next((p for prefix, p in paths.items() if name.startswith(prefix)), None)
            ok = {"PRIMARY", "SECONDARY"} <= set(roles) and health is not None and (want_path is None or path == want_path)
            actual = f"roles {sorted(roles)}, PRIMARY health check {'on ' + str(path) if health else 'missing'}"
            yield judged("route53_failover", spec.region, name, ok,
                         f"PRIMARY + SECONDARY, PRIMARY health-checked{' on ' + want_path if want_path else ''}", actual, spec.name)


CHECKS: tuple[Check, ...] = (stack_complete, rds_role, ecs_desired_count, alb_listeners, security_groups,
                             route53_failover, buckets_in_region, log_groups)


def verify(env: Deployed) -> list[CheckResult]:
    results: list[CheckResult] = []
    for spec in env.plan.unique_stacks:
        for check in CHECKS:
            try:
                results.extend(check(env, spec))
            except BOTO_ERRORS as error:
                results.append(CheckResult(check.__name__, spec.region, spec.name, "failed",
                                           f"the service API refused the check: {error_text(error)}", stack=spec.name))
    return results
