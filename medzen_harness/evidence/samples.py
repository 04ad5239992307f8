"""A small, realistic set of Allure results following the evidence conventions (README).

Used by the report tests, the browser test and scripts/bench_report.py: policy checks
(some violated), drills (one target missed), checks the lab cannot emulate, one harness
error, plus RTO/RPO metrics. Written with the same writer the CLI commands use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from medzen_harness.evidence.allure import ALLURE_STATUS, AllureResultsWriter, Case, Evidence, table_evidence
from medzen_harness.evidence.metrics import Metric, write_metrics

KMS = "164.312(a)(2)(iv)"
TLS = "164.312(e)(1)"
TLS_ENCRYPTION = "164.312(e)(2)(ii)"
DR = "164.308(a)(7)(ii)(B)"


@dataclass
class SampleSet:
    statuses: Counter = field(default_factory=Counter)          # allure status -> count
    categories: dict[str, str | None] = field(default_factory=dict)  # test name -> expected category
    controls: dict[str, set[str]] = field(default_factory=dict)      # hipaa control -> test names


def _policy_case(i: int, passed: bool) -> Case:
    resource = f"RecordingsBucket{i}"
    return Case(
        name=f"MZ-KMS-001 KMS encryption on {resource}",
        history_key=f"MZ-KMS-001|chime-sdk.yaml|{resource}",
        status="passed" if passed else "failed",
        labels={"epic": "Compliance", "feature": "KMS", "severity": "critical", "hipaa": [KMS, TLS_ENCRYPTION]},
        message="" if passed else (
            f"AWS::S3::Bucket {resource} in cloudformation/chime-sdk.yaml: expected "
            "BucketEncryption with SSEAlgorithm aws:kms, observed AES256"),
        description="Every store of PHI must be encrypted with a customer-managed KMS key.",
        parameters={"file": "cloudformation/chime-sdk.yaml", "resource": resource},
        evidence=[Evidence("template excerpt", f"{resource}:\n  Type: AWS::S3::Bucket\n", "text/yaml", "yaml")],
    )


def write_sample_results(results_dir: str | Path, policies: int = 4, run: int = 1, rto_seconds: float = 1.2) -> SampleSet:
    """Write `policies` policy checks (every 2nd one failing) + 4 fixed cases + 2 metrics."""
    writer = AllureResultsWriter(results_dir)
    sample = SampleSet()

    def add(case: Case, category: str | None) -> None:
        writer.write(case)
        sample.statuses[ALLURE_STATUS[case.status]] += 1
        sample.categories[case.name] = category
        hipaa = case.labels.get("hipaa", [])
        for control in [hipaa] if isinstance(hipaa, str) else hipaa:
            sample.controls.setdefault(control, set()).add(case.name)

    for i in range(policies):
        passed = i % 2 == 0
        add(_policy_case(i, passed), None if passed else "Policy violation")
    add(Case(
        name="TLS 1.2+ on the EHRbase load balancer listener", history_key="MZ-TLS-002|ehrbase.yaml|HttpsListener",
        status="passed", labels={"epic": "Compliance", "feature": "TLS", "hipaa": TLS},
        evidence=table_evidence([{"listener": "HttpsListener", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}], "listener"),
    ), None)
    add(Case(
        name="Region outage of af-south-1: RTO and RPO", history_key="drill|region-outage|af-south-1",
        status="missed" if rto_seconds > 900 else "met",
        labels={"epic": "Resilience", "feature": "Failover drills", "hipaa": DR},
        message=f"RTO {rto_seconds:.1f} s missed the target 900 s" if rto_seconds > 900 else "",
        description="Kill the primary region; measure time to first acknowledged write in eu-west-1.",
    ), "Target missed" if rto_seconds > 900 else None)
    add(Case(
        name="S3 lifecycle keeps recordings 7 years (deployed)", history_key="live|retention|RecordingsBucket",
        status="skipped", labels={"epic": "Deployment", "feature": "Live checks", "hipaa": "164.316(b)(2)(i)"},
        message="not emulated: moto drops S3 lifecycle rules built from CloudFormation; checked statically by the gate",
    ), "Not emulated")
    add(Case(
        name="Latency from Lagos in DR mode", history_key="latency|lagos|dr", status="error",
        labels={"epic": "Latency", "feature": "Vantage points"},
        message="Locust worker for lagos exited with code 1 before reporting (harness error)",
    ), "Harness error")
    write_metrics(results_dir, [
        Metric("rto_seconds[region-outage@af-south-1]", rto_seconds, "RTO region-outage@af-south-1", "s", "lower", "drill"),
        Metric("rpo_seconds[region-outage@af-south-1]", 0.5 * run, "RPO region-outage@af-south-1", "s", "lower", "drill"),
    ])
    return sample
