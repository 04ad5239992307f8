"""Smoke tool: deploy the four MedZen templates on the embedded AWS (moto server) in the
documented order and regions (cloudformation/README.md), print each stack's status, its
failed events and the resource types moto skipped (moto reports CREATE_COMPLETE for them).

    PYTHONPATH=$PWD /tmp/probe-venv/bin/python scripts/smoke_deploy_templates.py

Exit 0 when every stack reached CREATE_COMPLETE with no failed event, 1 otherwise.
The real deploy command belongs to `medzen-harness deploy`; this is the templates' own check.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from cfnlint.decode import decode
from moto.cloudformation.parsing import get_model_map

from medzen_harness.aws.embedded import EMBEDDED_CREDENTIALS, EmbeddedAws

TEMPLATES = Path(__file__).resolve().parent.parent / "cloudformation"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@dataclass
class StackResult:
    name: str
    region: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    failed_events: list[str] = field(default_factory=list)
    skipped_types: set[str] = field(default_factory=set)


def skipped_resource_types(template_file: str) -> set[str]:
    """Resource types of the template that moto's CloudFormation does not implement."""
    template, matches = decode(str(TEMPLATES / template_file))
    if template is None:
        raise RuntimeError(f"{template_file}: {matches}")
    supported = get_model_map()
    return {r["Type"] for r in template["Resources"].values() if r["Type"] not in supported}


def create_stack(endpoint_url: str, name: str, template_file: str, region: str,
                 parameters: dict[str, str], timeout_seconds: float = 60.0) -> StackResult:
    cfn = boto3.client("cloudformation", region_name=region, endpoint_url=endpoint_url,
                       config=NO_RETRIES, **EMBEDDED_CREDENTIALS)
    cfn.create_stack(
        StackName=name,
        TemplateBody=(TEMPLATES / template_file).read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + timeout_seconds
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
              for e in events if e["ResourceStatus"].endswith("FAILED")]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return StackResult(name, region, stack["StackStatus"], outputs, failed,
                       skipped_resource_types(template_file))


def request_certificate(endpoint_url: str, region: str, domain: str) -> str:
    """An ACM certificate in moto (moto skips AWS::CertificateManager::Certificate but its ELBv2
    checks that a listener's certificate exists in ACM)."""
    acm = boto3.client("acm", region_name=region, endpoint_url=endpoint_url, config=NO_RETRIES,
                       **EMBEDDED_CREDENTIALS)
    return acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]


def deploy_medzen_stacks(endpoint_url: str) -> list[StackResult]:
    """The documented order: global → ehrbase primary → ehrbase DR → bedrock-ai ×3 → chime-sdk ×2."""
    results: list[StackResult] = []

    def run(name: str, template: str, region: str, parameters: dict[str, str]) -> StackResult:
        result = create_stack(endpoint_url, name, template, region, parameters)
        results.append(result)
        return result

    run("medzen-global", "global-infrastructure.yaml", "us-east-1", {})
    primary = run("medzen-ehrbase", "ehrbase-multi-region.yaml", "af-south-1", {
        "Role": "primary", "DeploymentTarget": "embedded",
        "CertificateArn": request_certificate(endpoint_url, "af-south-1", "ehr.medzen.example.com"),
    })
    run("medzen-ehrbase", "ehrbase-multi-region.yaml", "eu-west-1", {
        "Role": "dr", "DeploymentTarget": "embedded",
        "CertificateArn": request_certificate(endpoint_url, "eu-west-1", "ehr.medzen.example.com"),
        "PrimaryDbInstanceArn": primary.outputs.get("DbInstanceArn", ""),
        "PrimaryDbSecretArn": primary.outputs.get("DbSecretArn", ""),
    })
    for region in ("eu-west-1", "us-east-1", "af-south-1"):
        run("medzen-bedrock-ai", "bedrock-ai-multi-region.yaml", region, {})
    chime_eu = run("medzen-chime-sdk", "chime-sdk-multi-region.yaml", "eu-west-1", {})
    run("medzen-chime-sdk", "chime-sdk-multi-region.yaml", "af-south-1", {
        "ReplicaRegion": "eu-west-1",
        "ReplicaKmsKeyArn": chime_eu.outputs.get("ChimeKeyArn", ""),
    })
    return results


def deploy_chaos_stacks(endpoint_url: str, primary_outputs: dict[str, str]) -> list[StackResult]:
    """The FIS templates in af-south-1 against the ehrbase primary (moto skips the FIS template
    and the alarm itself; the FIS API is exercised by tests/integration/test_chaos_aws.py)."""
    subnet_a, subnet_b = primary_outputs["PrivateSubnetIds"].split(",")
    return [
        create_stack(endpoint_url, "medzen-chaos-network", "chaos/fis-network-disruption.yaml", "af-south-1",
                     {"PrivateSubnetA": subnet_a, "PrivateSubnetB": subnet_b}),
        create_stack(endpoint_url, "medzen-chaos-ecs", "chaos/fis-ecs-stop-task.yaml", "af-south-1",
                     {"ClusterName": primary_outputs["ClusterName"], "ServiceName": primary_outputs["ServiceName"]}),
        create_stack(endpoint_url, "medzen-chaos-rds", "chaos/fis-rds-reboot-failover.yaml", "af-south-1",
                     {"DbInstanceIdentifier": primary_outputs["DbInstanceIdentifier"]}),
    ]


def main() -> int:
    with EmbeddedAws() as aws:
        results = deploy_medzen_stacks(aws.endpoint_url)
        results += deploy_chaos_stacks(aws.endpoint_url, results[1].outputs)
    ok = True
    for result in results:
        print(f"{result.name:20} {result.region:11} {result.status}")
        for event in result.failed_events:
            print(f"    FAILED {event}")
        if result.skipped_types:
            print(f"    moto skips: {', '.join(sorted(result.skipped_types))}")
        ok = ok and result.status == "CREATE_COMPLETE" and not result.failed_events
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
