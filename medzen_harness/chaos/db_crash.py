"""db-crash: the region's database crashes (kill -9); services and network stay up."""

from __future__ import annotations

from medzen_harness.chaos.aws_common import aws_module
from medzen_harness.chaos.base import Fault, Injection


class LabDbCrash(Injection):
    """SIGKILL to the region's Postgres (postmaster and backends). WAL already sent keeps
    flowing to the standby: only what the primary had not shipped is lost."""

    def inject(self) -> None:
        self.target.kill_database(self.region)


class AwsDbCrash(Injection):
    """RDS reboot with failover (Multi-AZ) of the region's instance."""

    def inject(self) -> None:
        instance = self.config["drill"]["aws"]["db_instance_ids"][self.region]
        aws_module("actions").reboot_db_instance(self.target.client("rds", self.region), instance,
                                                 force_failover=True)


FAULT = Fault(
    name="db-crash",
    summary="kill -9 of the region's primary database only",
    expected_effect="the EHR API reports 503, the health check fails and the runbook fails over; "
                    "WAL already shipped survives",
    aws_mechanism="rds:RebootDBInstance with ForceFailover (FIS aws:rds:reboot-db-instances, forceFailover)",
    failover=True,
    lab=LabDbCrash,
    aws=AwsDbCrash,
)
