"""Allure evidence of a deploy run: one test case per check, plus the tables an auditor
reads (stacks, "template says / account shows", PHI residency map, teardown)."""

from __future__ import annotations

import json
from typing import Any

from medzen_harness.aws.compliance import policy_meta
from medzen_harness.aws.emulator import GAPS
from medzen_harness.aws.session import DeployRun
from medzen_harness.aws.verify import CheckResult
from medzen_harness.evidence.allure import AllureResultsWriter, Case, Evidence, table_evidence

RESIDENCY_CHECKS = ("phi_residency_location", "phi_residency_replication")


def _labels(check: CheckResult, target: str) -> dict[str, Any]:
    if check.id.startswith("MZ_"):
        meta = policy_meta(check.id)
        return {"epic": "Compliance", "feature": "Live compliance", "story": check.id, "family": meta["family"],
                "severity": meta["severity"], "hipaa": meta["hipaa"], "tag": target}
    if check.id in RESIDENCY_CHECKS:
        return {"epic": "Compliance", "feature": "PHI residency", "story": check.id, "severity": "critical",
                "hipaa": ["164.308(a)(1)(ii)(B)", "164.312(a)(1)"], "tag": target}
    return {"epic": "Deployment", "feature": "Deploy and verify", "story": check.id, "severity": "critical", "tag": target}


def check_case(check: CheckResult, target: str) -> Case:
    resource = check.resource
    return Case(
        name=f"{check.id} — {resource} ({check.region})",
        history_key=f"deploy:{target}:{check.id}:{check.region}:{check.stack}:{check.extra.get('logical', resource)}",
        status=check.status,
        labels=_labels(check, target),
        message=check.reason,
        parameters={"region": check.region, "resource": resource, "target": target},
        evidence=[Evidence("expected / actual", json.dumps({"expected": check.expected, "actual": check.actual,
                                                           "reason": check.reason}, indent=2), "application/json", "json")],
    )


def summary_cases(run: DeployRun) -> list[Case]:
    stacks = [{"stack": s.name, "region": s.region, "template": s.template, "status": s.status,
               "stack status": s.stack_status, "seconds": round(s.seconds, 2), "reason": s.reason} for s in run.stacks]
    gaps = [{"id": g.id, "kind": g.kind, "reason": g.reason} for g in GAPS] if run.target == "embedded" else []
    teardown = run.teardown.contract()
    return [
        Case("Stacks deployed in the architecture's order", f"deploy:{run.target}:stacks",
             "passed",
             labels={"epic": "Deployment", "feature": "Deploy and verify", "story": "stacks"},
             evidence=table_evidence(stacks, "stacks")),
        Case("Live compliance: template says / account shows", f"deploy:{run.target}:side-by-side",
             "failed" if any(c.status == "failed" for c in run.compliance) else "passed",
             labels={"epic": "Compliance", "feature": "Live compliance", "story": "side by side"},
             evidence=table_evidence(run.side_by_side, "template says / account shows")),
        Case("PHI residency map", f"deploy:{run.target}:residency",
             "failed" if any(c.status == "failed" for c in run.residency) else "passed",
             labels={"epic": "Compliance", "feature": "PHI residency", "story": "map", "severity": "critical"},
             evidence=table_evidence(run.residency_rows, "PHI residency map")),
        Case("What the embedded AWS cannot answer (declared)", f"deploy:{run.target}:emulator-gaps", "passed",
             labels={"epic": "Deployment", "feature": "Emulator honesty"},
             description="Checks in this list are reported skipped with 'not emulated: ...' on the embedded target.",
             evidence=table_evidence(gaps, "not emulated") if gaps else []),
        Case("Teardown leaves nothing behind", f"deploy:{run.target}:teardown",
             "skipped" if not run.teardown.performed else ("failed" if run.teardown.leftover else "passed"),
             labels={"epic": "Deployment", "feature": "Deploy and verify", "story": "teardown"},
             message="" if run.teardown.performed else "teardown not requested (--teardown)",
             evidence=[Evidence("teardown", json.dumps(teardown, indent=2), "application/json", "json")]),
    ]


def write_allure(run: DeployRun, results_dir: str) -> int:
    writer = AllureResultsWriter(results_dir)
    return writer.write_all([check_case(c, run.target) for c in run.all_checks] + summary_cases(run))
