"""Runbook and fault actions on AWS: plain functions taking boto3 clients. Each returns once
AWS accepted the call; wait for the effect with `probes`."""

from __future__ import annotations

from typing import Any

from medzen_harness.chaos.aws import probes
from medzen_harness.errors import HarnessError

MAX_DESIRED_COUNT = 16  # the architecture scales EHRbase to 4; anything far above is a typo
STOP_REASON = "medzen-harness drill: stop-task fault"


def promote_read_replica(rds: Any, db_instance_id: str) -> None:
    """Runbook step 3: turn the DR read replica into a standalone writable instance (RDS then
    reboots it; wait with probes.wait_db_promoted)."""
    if not probes.db_is_replica(rds, db_instance_id):
        raise HarnessError(f"{db_instance_id} is not a read replica: nothing to promote "
                           "(already promoted? check the DR stack's DbInstanceIdentifier)")
    rds.promote_read_replica(DBInstanceIdentifier=db_instance_id)


def reboot_db_instance(rds: Any, db_instance_id: str, force_failover: bool = True) -> None:
    """db-crash on AWS: reboot the instance; with force_failover a Multi-AZ instance fails over
    to its standby (AWS rejects ForceFailover on a Single-AZ instance)."""
    rds.reboot_db_instance(DBInstanceIdentifier=db_instance_id, ForceFailover=force_failover)


def scale_service(ecs: Any, cluster: str, service: str, desired_count: int) -> None:
    """Runbook step 4: set the ECS service's desired task count (DR 1 -> 4)."""
    if not 0 <= desired_count <= MAX_DESIRED_COUNT:
        raise HarnessError(f"desired_count must be 0..{MAX_DESIRED_COUNT}, got {desired_count}")
    ecs.update_service(cluster=cluster, service=service, desiredCount=desired_count)


def set_health_check_inverted(route53: Any, health_check_id: str, inverted: bool) -> None:
    """Force (inverted=True) or release a Route 53 failover: an inverted health check reports a
    healthy endpoint as unhealthy, so the PRIMARY record's traffic moves to SECONDARY."""
    route53.update_health_check(HealthCheckId=health_check_id, Inverted=inverted)


def stop_tasks(ecs: Any, cluster: str, service: str) -> int:
    """Stop every running task of the service (ECS starts replacements); how many were stopped."""
    stopped = 0
    for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=service,
                                                          desiredStatus="RUNNING"):
        for task_arn in page["taskArns"]:
            ecs.stop_task(cluster=cluster, task=task_arn, reason=STOP_REASON)
            stopped += 1
    return stopped
