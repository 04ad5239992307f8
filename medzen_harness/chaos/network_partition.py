"""network-partition: the region is cut off from clients and from the other region."""

from __future__ import annotations

from medzen_harness.chaos.aws_common import FisExperiment
from medzen_harness.chaos.base import Fault, Injection
from medzen_harness.lab.runtime import REPLICATION_PROXY, edge_proxy_name


class LabNetworkPartition(Injection):
    """The region's endpoint and the replication link black-holed (packets dropped: connections
    hang until timeouts fire); the region's processes keep running."""

    def inject(self) -> None:
        self.target.proxy(edge_proxy_name(self.region), "set_mode", mode="blackhole")
        self.target.proxy(REPLICATION_PROXY, "set_mode", mode="blackhole")

    def heal(self) -> None:
        self.target.proxy(edge_proxy_name(self.region), "heal")
        self.target.proxy(REPLICATION_PROXY, "heal")


class AwsNetworkPartition(FisExperiment):
    fault_name = "network-partition"


FAULT = Fault(
    name="network-partition",
    summary="region unreachable from clients and from the other region; replication cut",
    expected_effect="health checks time out, traffic moves to DR, the replica is promoted while the old "
                    "primary still runs (fenced by routing); unshipped writes are lost",
    aws_mechanism="FIS template `network-partition` (aws:network:disrupt-connectivity, scope all) on the "
                  "region's subnets, CloudWatch-alarm stop condition",
    failover=True,
    lab=LabNetworkPartition,
    aws=AwsNetworkPartition,
)
