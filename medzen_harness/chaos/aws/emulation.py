"""What the embedded AWS (moto 5.2.5 server) does NOT emulate of the runbook and the faults.

Each entry is proved to still be a limitation by tests/integration/test_chaos_aws.py (one test
per id, run against the moto server): when moto learns the behaviour the test fails and the
entry must go. Drills on the embedded AWS report these effects as
`skipped` with reason "not emulated: <reason>" — never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotEmulated:
    id: str
    effect: str  # the runbook/fault effect on real AWS
    reason: str  # what the embedded AWS does instead

    @property
    def skip_reason(self) -> str:
        return f"not emulated: {self.reason}"


NOT_EMULATED: tuple[NotEmulated, ...] = (
    NotEmulated(
        "rds-promote-read-replica",
        "promote_read_replica makes the cross-region replica a standalone writable instance "
        "(status modifying -> available, source link removed)",
        "the call succeeds but the instance keeps ReadReplicaSourceDBInstanceIdentifier, never "
        "leaves 'available', and the source still lists it as its replica",
    ),
    NotEmulated(
        "rds-reboot-force-failover",
        "reboot_db_instance(ForceFailover=True) fails a Multi-AZ instance over to its standby "
        "(status rebooting, AZ changes, failover events)",
        "the call succeeds and changes nothing: status stays 'available', same AZ, no event",
    ),
    NotEmulated(
        "route53-health-checkers",
        "Route 53 checkers probe the endpoint and report Failure when it is down",
        "get_health_check_status reports Success for any endpoint, even an unresolvable one",
    ),
    NotEmulated(
        "route53-dns-answer",
        "TestDNSAnswer shows which failover record Route 53 serves (PRIMARY or SECONDARY)",
        "TestDNSAnswer is not implemented (HTTP 404): DNS failover cannot be observed",
    ),
    NotEmulated(
        "ecs-service-tasks",
        "an ECS service runs real tasks: stop-task kills them, scaling starts new ones over minutes",
        "a service has no tasks (list_tasks is empty, stop-task has nothing to stop) and "
        "update_service sets runningCount = desiredCount instantly",
    ),
    NotEmulated(
        "fis-actions",
        "FIS experiment actions act on their targets (network ACLs swapped, tasks stopped, DB rebooted)",
        "experiments only move through states (pending -> initiating -> running -> completed); "
        "targets are untouched",
    ),
    NotEmulated(
        "cloudwatch-alarm-evaluation",
        "CloudWatch alarms evaluate metrics (ALARM on breach) and FIS stop conditions fire on them",
        "alarms never evaluate: a breaching metric leaves the alarm OK and the experiment running",
    ),
)


def not_emulated(effect_id: str) -> NotEmulated:
    for entry in NOT_EMULATED:
        if entry.id == effect_id:
            return entry
    raise KeyError(effect_id)


def markdown_table() -> str:
    """README table: effect on real AWS and what the embedded AWS does instead."""
    rows = ["| id | on real AWS | on the embedded AWS (moto) |", "|---|---|---|"]
    rows += [f"| `{e.id}` | {e.effect} | {e.reason} |" for e in NOT_EMULATED]
    return "\n".join(rows) + "\n"
