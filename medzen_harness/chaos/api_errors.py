"""api-errors: a region's AWS API answers 503 (the control plane the runbook needs)."""

from __future__ import annotations

import time
from typing import Any

from medzen_harness.chaos.aws_common import FisExperiment, aws_module
from medzen_harness.chaos.base import Fault, Injection, Parameter
from medzen_harness.errors import HarnessError


def call_rds(endpoint_url: str, region: str) -> int:
    """One rds:DescribeDBInstances through `endpoint_url`; the HTTP status it got."""
    import boto3
    import botocore.config
    import botocore.exceptions

    from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS

    client = boto3.client("rds", region_name=region, endpoint_url=endpoint_url, **EMBEDDED_CREDENTIALS,
                          config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                                        connect_timeout=2, read_timeout=5))
    try:
        client.describe_db_instances()
        return 200
    except botocore.exceptions.ClientError as error:
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)


class LabApiErrors(Injection):
    """The embedded AWS (moto server) behind a proxy that answers 503 for the region's calls,
    probed with one boto3 call per region."""

    def inject(self) -> None:
        from medzen_harness.aws.embedded import EmbeddedAws

        self.regions = list(dict.fromkeys([self.region, *self.config["regions"].values()]))
        self.aws = EmbeddedAws().start()
        try:
            self.api_proxy = aws_module("api_fault_proxy").RegionApiFaultProxy(self.aws.endpoint_url)
            self.api_proxy.start()
            before = {region: call_rds(self.api_proxy.endpoint_url, region) for region in self.regions}
            if any(status != 200 for status in before.values()):
                raise HarnessError(f"the embedded AWS API is not healthy before the fault: {before}")
            self.api_proxy.fail_region(self.region, status=int(self.params["status"]))
        except BaseException:
            self.heal()
            raise

    def heal(self) -> None:
        proxy, aws = getattr(self, "api_proxy", None), getattr(self, "aws", None)
        if proxy is not None:
            proxy.heal()
            proxy.stop()
            self.api_proxy = None
        if aws is not None:
            aws.stop()
            self.aws = None

    def observe(self, seconds: float) -> dict[str, Any]:
        calls: dict[str, dict[str, int]] = {region: {} for region in self.regions}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for region in self.regions:
                status = str(call_rds(self.api_proxy.endpoint_url, region))
                calls[region][status] = calls[region].get(status, 0) + 1
            time.sleep(0.1)
        return {"api_calls": calls, "failed_region": self.region, "injected_status": int(self.params["status"])}


def judge(observations: dict[str, Any], context: dict[str, Any], targets: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """The control plane fails but the data plane must not: EHR writes keep succeeding."""
    calls = observations.get("api_calls", {})
    failed = observations.get("failed_region")
    status = str(observations.get("injected_status", 503))
    reasons = []
    if not calls.get(failed, {}).get(status):
        reasons.append(f"the fault was not observed: no {status} from {failed}'s API")
    healthy = [r for r in calls if r != failed and set(calls[r]) - {"200"}]
    if healthy:
        reasons.append(f"other regions' APIs failed too: {', '.join(healthy)}")
    if context["failed_writes_during_fault"]:
        reasons.append(f"{context['failed_writes_during_fault']} EHR write(s) failed during a control-plane fault")
    if context["writes"]["lost"]:
        reasons.append(f"{context['writes']['lost']} acknowledged write(s) lost")
    fields = {"rto_seconds": None, "rto_reason": "control-plane fault: no failover, the data plane keeps serving",
              "rpo_seconds": None, "rpo_reason": "no data-loss mechanism; acknowledged writes are counted instead"}
    return ("missed" if reasons else "met"), reasons, fields


class AwsApiErrors(FisExperiment):
    fault_name = "api-errors"


FAULT = Fault(
    name="api-errors",
    summary="the region's AWS API answers 503 to every call",
    parameters=(Parameter("status", "HTTP status returned", 503.0),),
    expected_effect="runbook actions in that region fail (promote, scale); EHR traffic is unaffected",
    measured="503s observed per region through the API proxy; EHR writes during the fault",
    aws_mechanism="FIS template `api-errors` (aws:fis:inject-api-unavailable-error)",
    failover=False,
    lab=LabApiErrors,
    aws=AwsApiErrors,
    judge=judge,
)
