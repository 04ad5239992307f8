"""Reads of AWS state for the runbook and the drills, and bounded waits on them."""

from __future__ import annotations

from typing import Any

from medzen_harness.chaos.aws.polling import poll_until

# Route 53 calls an endpoint healthy when more than 18 % of its checkers do.
ROUTE53_HEALTHY_FRACTION = 0.18


def _db_instance(rds: Any, db_instance_id: str) -> dict[str, Any]:
    return rds.describe_db_instances(DBInstanceIdentifier=db_instance_id)["DBInstances"][0]


def db_instance_status(rds: Any, db_instance_id: str) -> str:
    """available | modifying | rebooting | ... (RDS DBInstanceStatus)."""
    return str(_db_instance(rds, db_instance_id)["DBInstanceStatus"])


def db_is_replica(rds: Any, db_instance_id: str) -> bool:
    """True while the instance replicates from a source (is not writable)."""
    return bool(_db_instance(rds, db_instance_id).get("ReadReplicaSourceDBInstanceIdentifier"))


def wait_db_available(rds: Any, db_instance_id: str, timeout_seconds: float, poll_seconds: float = 10.0) -> float:
    """Seconds until the instance reports `available`; HarnessError after timeout_seconds."""
    _, seconds = poll_until(lambda: db_instance_status(rds, db_instance_id), lambda s: s == "available",
                            timeout_seconds, poll_seconds, f"RDS {db_instance_id} available")
    return seconds


def wait_db_promoted(rds: Any, db_instance_id: str, timeout_seconds: float, poll_seconds: float = 10.0) -> float:
    """Seconds until a promoted replica is standalone AND available. (Right after
    promote_read_replica RDS may still say `available` before it switches to `modifying`:
    waiting for `available` alone can return too early.)"""
    def read() -> tuple[bool, str]:
        instance = _db_instance(rds, db_instance_id)
        return bool(instance.get("ReadReplicaSourceDBInstanceIdentifier")), str(instance["DBInstanceStatus"])

    _, seconds = poll_until(read, lambda state: state == (False, "available"), timeout_seconds, poll_seconds,
                            f"RDS {db_instance_id} promoted and available (replica?, status)")
    return seconds


def service_counts(ecs: Any, cluster: str, service: str) -> dict[str, int]:
    """{'desired': n, 'running': n, 'pending': n} of an ECS service."""
    found = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    return {"desired": int(found["desiredCount"]), "running": int(found["runningCount"]),
            "pending": int(found.get("pendingCount", 0))}


def wait_service_stable(ecs: Any, cluster: str, service: str, timeout_seconds: float,
                        poll_seconds: float = 5.0) -> float:
    """Seconds until running == desired with nothing pending (ECS 'steady state')."""
    def stable(counts: dict[str, int]) -> bool:
        return counts["running"] == counts["desired"] and counts["pending"] == 0

    _, seconds = poll_until(lambda: service_counts(ecs, cluster, service), stable, timeout_seconds,
                            poll_seconds, f"ECS {cluster}/{service} running == desired")
    return seconds


def health_check_status(route53: Any, health_check_id: str) -> str:
    """'healthy' or 'unhealthy' as Route 53 decides for DNS: more than 18 % of the checkers
    report Success, then flipped when the check is Inverted; a Disabled check counts healthy."""
    config = route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]["HealthCheckConfig"]
    if config.get("Disabled"):
        return "healthy"
    observations = route53.get_health_check_status(HealthCheckId=health_check_id)["HealthCheckObservations"]
    successes = sum(1 for o in observations if o["StatusReport"]["Status"].startswith("Success"))
    healthy = bool(observations) and successes / len(observations) > ROUTE53_HEALTHY_FRACTION
    if config.get("Inverted"):
        healthy = not healthy
    return "healthy" if healthy else "unhealthy"


def failover_records(route53: Any, zone_id: str, name: str) -> dict[str, dict[str, Any]]:
    """The failover record set of `name`: {'PRIMARY': {...}, 'SECONDARY': {...}} with
    'target' (first value or alias DNS name), 'health_check_id', 'set_identifier'."""
    fqdn = name if name.endswith(".") else name + "."
    records: dict[str, dict[str, Any]] = {}
    pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    for record in (r for page in pages for r in page["ResourceRecordSets"]):
        if record["Name"] != fqdn or "Failover" not in record:
            continue
        values = [v["Value"] for v in record.get("ResourceRecords", [])]
        records[record["Failover"]] = {
            "target": values[0] if values else record.get("AliasTarget", {}).get("DNSName"),
            "health_check_id": record.get("HealthCheckId"),
            "set_identifier": record.get("SetIdentifier"),
        }
    return records


def failover_record_target(route53: Any, zone_id: str, name: str, record_type: str = "CNAME") -> str:
    """What Route 53 answers for `name` right now (TestDNSAnswer): the PRIMARY target while its
    health check passes, the SECONDARY target after a failover."""
    answer = route53.test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType=record_type)
    data = answer.get("RecordData") or []
    return str(data[0]) if data else ""
