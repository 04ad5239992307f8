"""region-outage: a whole region is gone — database, EHR API and endpoint."""

from __future__ import annotations

from medzen_harness.chaos.aws_common import FisExperiment
from medzen_harness.chaos.base import Fault, Injection
from medzen_harness.lab.runtime import REPLICATION_PROXY, edge_proxy_name


class LabRegionOutage(Injection):
    """kill -9 of the region's Postgres and EHR API processes, its endpoint refusing
    connections, and the replication link reset (WAL in flight is lost with the region)."""

    def inject(self) -> None:
        self.target.isolate_region(self.region)

    def heal(self) -> None:
        self.target.proxy(edge_proxy_name(self.region), "heal")
        self.target.proxy(REPLICATION_PROXY, "heal")


class AwsRegionOutage(FisExperiment):
    fault_name = "region-outage"


FAULT = Fault(
    name="region-outage",
    summary="database, EHR API and endpoint of the region are gone at once",
    expected_effect="health check fails, traffic moves to the DR region, the replica is promoted; "
                    "writes not yet shipped are lost (RPO ≈ replication delay)",
    aws_mechanism="FIS template `region-outage` (aws:network:disrupt-connectivity on the region's subnets "
                  "+ aws:ecs:stop-task), CloudWatch-alarm stop condition",
    failover=True,
    lab=LabRegionOutage,
    aws=AwsRegionOutage,
)
