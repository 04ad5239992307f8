"""PHI residency map: every resource tagged as PHI, the region where it lives and the
regions it replicates to, against `phi_residency.allowed_regions`. A region outside the
allow-list is a finding (status failed).

Resources are found through the Resource Groups Tagging API of every target region (not the
stack's resource list); where they replicate is read from each service (RDS read replicas,
S3 replication rules, DynamoDB global-table replicas).
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from medzen_harness.aws.deploy import BOTO_ERRORS, error_text
from medzen_harness.aws.emulator import gap_for
from medzen_harness.aws.targets import AwsTarget
from medzen_harness.aws.verify import CheckResult

DEFAULT_TAG = ("DataClassification", "PHI")


def arn_region(arn: str) -> str:
    return arn.split(":")[3]


def bucket_region(target: AwsTarget, region: str, bucket: str) -> str:
    return target.client("s3", region).get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"


def phi_resources(target: AwsTarget, tag: tuple[str, str] = DEFAULT_TAG) -> list[tuple[str, str]]:
    """(arn, region it lives in) for every PHI-tagged resource visible from the target regions."""
    found: dict[str, str] = {}
    for region in target.regions:
        paginator = target.client("resourcegroupstaggingapi", region).get_paginator("get_resources")
        for page in paginator.paginate(TagFilters=[{"Key": tag[0], "Values": [tag[1]]}]):
            for mapping in page["ResourceTagMappingList"]:
                arn = mapping["ResourceARN"]
                if arn.startswith("arn:aws:s3:::"):
                    found.setdefault(arn, bucket_region(target, region, arn.split(":::")[1]))
                else:
                    found.setdefault(arn, arn_region(arn) or region)
    return sorted(found.items())


def replication_regions(target: AwsTarget, arn: str, region: str) -> tuple[list[str], str | None]:
    """(regions the resource replicates to, a reason when that cannot be known)."""
    service = arn.split(":")[2]
    if service == "rds" and ":db:" in arn:
        db = target.client("rds", region).describe_db_instances(DBInstanceIdentifier=arn.split(":")[-1])["DBInstances"][0]
        return sorted({arn_region(r) if r.startswith("arn:") else region for r in db.get("ReadReplicaDBInstanceIdentifiers", [])}), None
    if service == "s3":
        gap = gap_for("residency_s3_replication", target.embedded)
        if gap:
            return [], gap.skip_reason
        s3 = target.client("s3", region)
        try:
            rules = s3.get_bucket_replication(Bucket=arn.split(":::")[1])["ReplicationConfiguration"]["Rules"]
        except botocore.exceptions.ClientError as error:
            if "ReplicationConfigurationNotFound" in str(error):
                return [], None
            raise
        buckets = [r["Destination"]["Bucket"].split(":::")[-1] for r in rules if r.get("Status") == "Enabled"]
        return sorted({bucket_region(target, region, b) for b in buckets}), None
    if service == "dynamodb":
        table = target.client("dynamodb", region).describe_table(TableName=arn.split("/")[-1])["Table"]
        return sorted({r["RegionName"] for r in table.get("Replicas", []) if r["RegionName"] != region}), None
    return [], None


def residency_map(target: AwsTarget, allowed_regions: list[str], tag: tuple[str, str] = DEFAULT_TAG) -> tuple[list[dict[str, str]], list[CheckResult]]:
    """The map rows (for the evidence table) and one check per resource and aspect."""
    rows: list[dict[str, str]] = []
    checks: list[CheckResult] = []
    allowed = set(allowed_regions)
    for arn, lives_in in phi_resources(target, tag):
        try:
            replicas, unknown = replication_regions(target, arn, lives_in)
        except BOTO_ERRORS as error:
            replicas, unknown = [], f"could not read replication: {error_text(error)}"
        outside = sorted(({lives_in} | set(replicas)) - allowed)
        rows.append({"resource": arn, "lives in": lives_in,
                     "replicates to": unknown if unknown else ", ".join(replicas),
                     "allowed": ", ".join(sorted(allowed)),
                     "verdict": "violation: " + ", ".join(outside) if outside else ("partly unknown" if unknown else "ok")})
        checks.append(CheckResult("phi_residency_location", lives_in, arn, "passed" if lives_in in allowed else "failed",
                                  "" if lives_in in allowed else f"PHI lives in {lives_in}, outside {sorted(allowed)}",
                                  f"one of {sorted(allowed)}", lives_in))
        bad_replicas = sorted(set(replicas) - allowed)
        if unknown and not unknown.startswith("not emulated"):
            status, reason = "failed", unknown
        elif unknown:
            status, reason = "skipped", unknown
        else:
            status = "failed" if bad_replicas else "passed"
            reason = f"PHI replicates to {bad_replicas}, outside {sorted(allowed)}" if bad_replicas else ""
        checks.append(CheckResult("phi_residency_replication", lives_in, arn, status, reason,
                                  f"replicas only in {sorted(allowed)}", ", ".join(replicas) or "none"))
    return rows, checks


def residency_from_config(target: AwsTarget, config: dict[str, Any]) -> tuple[list[dict[str, str]], list[CheckResult]]:
    section = config["phi_residency"]
    tag = (section.get("tag_key", DEFAULT_TAG[0]), section.get("tag_value", DEFAULT_TAG[1]))
    return residency_map(target, list(section["allowed_regions"]), tag)
