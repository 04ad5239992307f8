"""Benchmark: latency the region API fault proxy adds in front of the embedded AWS.

    PYTHONPATH=$PWD /tmp/probe-venv/bin/python scripts/bench_api_fault_proxy.py [calls]

Times `calls` rds:DescribeDBInstances direct to moto and through the proxy (alternating, same
client settings) and prints p50/p95 of each and of a failed region's 503 answer.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS, EmbeddedAws
from medzen_harness.chaos.aws.api_fault_proxy import RegionApiFaultProxy

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def timed_ms(call) -> float:
    started = time.perf_counter()
    with contextlib.suppress(ClientError):
        call()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20)
    return f"p50 {statistics.median(samples):6.2f} ms  p95 {cuts[18]:6.2f} ms"


def main(calls: int) -> None:
    with EmbeddedAws() as aws, RegionApiFaultProxy(aws.endpoint_url) as proxy:
        def rds(region: str, url: str):
            return boto3.client("rds", region_name=region, endpoint_url=url, config=NO_RETRIES, **EMBEDDED_CREDENTIALS)

        direct, proxied, failed = rds("eu-west-1", aws.endpoint_url), rds("eu-west-1", proxy.endpoint_url), \
            rds("af-south-1", proxy.endpoint_url)
        proxy.fail_region("af-south-1")
        for client in (direct, proxied):
            client.describe_db_instances()  # warm up connections
        samples: dict[str, list[float]] = {"direct": [], "proxied": [], "503": []}
        for _ in range(calls):
            samples["direct"].append(timed_ms(direct.describe_db_instances))
            samples["proxied"].append(timed_ms(proxied.describe_db_instances))
            samples["503"].append(timed_ms(failed.describe_db_instances))
    for name, values in samples.items():
        print(f"{name:8} {percentiles(values)}  ({calls} calls)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
