"""Live compliance per gate policy id, and the side-by-side "template says / account shows"
table (static gate verdict next to the live verdict, per policy x resource).

Rows are driven by the templates: every resource of a policy's type declared in a deployed
template gets a row, even when the emulator skipped creating it (then it is `skipped` with
the declared "not emulated" reason on the embedded target, `failed` on a real account).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.aws.deploy import BOTO_ERRORS, error_text
from medzen_harness.aws.emulator import gap_for
from medzen_harness.aws.live import load_checks
from medzen_harness.aws.plan import condition_holds
from medzen_harness.aws.verify import CheckResult, Deployed

# Used only until the gate's catalogue (medzen_harness.compliance.catalogue) is importable.
FALLBACK_META = {
    "kms": {"severity": "critical", "hipaa": ["164.312(a)(2)(iv)"]},
    "retention": {"severity": "critical", "hipaa": ["164.316(b)(2)(i)"]},
    "tls": {"severity": "critical", "hipaa": ["164.312(e)(1)"]},
}
FAMILY_BY_PREFIX = {"MZ_KMS": "kms", "MZ_RET": "retention", "MZ_TLS": "tls"}


def policy_meta(policy_id: str) -> dict[str, Any]:
    """family, severity, hipaa controls and title of a policy: from the gate's catalogue when present."""
    try:
        from medzen_harness.compliance.catalogue import load_policies  # type: ignore[import-not-found]
    except ImportError:
        load_policies = None
    if load_policies is not None:
        for meta in load_policies():
            if meta.id == policy_id:
                return {"family": meta.family, "severity": meta.severity, "hipaa": list(meta.hipaa),
                        "title": meta.title, "source": "catalogue"}
    family = FAMILY_BY_PREFIX.get(policy_id[:6], "compliance")
    fallback = FALLBACK_META.get(family, {"severity": "normal", "hipaa": []})
    return {"family": family, "severity": fallback["severity"], "hipaa": fallback["hipaa"], "title": policy_id, "source": "fallback"}


def live_compliance(env: Deployed) -> list[CheckResult]:
    results: list[CheckResult] = []
    checks = load_checks()
    for spec in env.plan.unique_stacks:
        physical = {r["logical"]: r["physical"] for r in env.stacks[spec.id].resources}
        declared = spec.template_dict.get("Resources", {})
        for policy, variants in sorted(checks.items()):
            for check in variants:
                for logical, resource in declared.items():
                    if not isinstance(resource, dict) or resource.get("Type") != check.resource_type:
                        continue
                    if resource.get("Condition") and condition_holds(
                            spec.template_dict, resource["Condition"], env.stacks[spec.id].parameters) is False:
                        continue  # a conditional resource this stack's parameters leave out
                    label = f"{spec.name}/{logical}"
                    row = CheckResult(policy, spec.region, label, "skipped", stack=spec.id,
                                      extra={"logical": logical, "template": spec.template.name, "physical": physical.get(logical, "")})
                    gap = gap_for(policy, env.target.embedded)
                    if gap:
                        row.reason, row.actual = gap.skip_reason, "not emulated"
                    elif not physical.get(logical):
                        row.status, row.reason, row.actual = "failed", f"{check.resource_type} {logical} does not exist in the account", "missing"
                    else:
                        try:
                            client = env.target.client(check.service, spec.region)
                            ok, row.actual = check.fn(client, physical[logical])
                            row.status = "passed" if ok else "failed"
                            row.reason = "" if ok else f"{policy}: the account shows {row.actual}"
                        except BOTO_ERRORS as error:
                            row.status, row.actual = "failed", "error"
                            row.reason = f"{policy}: the service API refused the check: {error_text(error)}"
                    results.append(row)
    return results


def run_static_gate(templates: list[Path]) -> dict[str, Any] | None:
    """The gate's JSON for these templates (None when the gate is unavailable or errors)."""
    with tempfile.TemporaryDirectory(prefix="medzen-deploy-gate-") as tmp:
        out = Path(tmp) / "gate.json"
        command = [sys.executable, "-m", "medzen_harness", "gate", *map(str, templates), "--json", str(out)]
        try:
            done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return None
        if done.returncode not in (0, 1) or not out.is_file():
            return None
        return json.loads(out.read_text())


def static_verdicts(gate_report: dict[str, Any] | None) -> dict[tuple[str, str, str], str]:
    """(policy, template file name, logical id) -> the gate's status."""
    verdicts: dict[tuple[str, str, str], str] = {}
    for finding in (gate_report or {}).get("findings", []):
        key = (finding.get("policy", ""), Path(str(finding.get("file", ""))).name, str(finding.get("resource", "")).split(".")[-1])
        if verdicts.get(key) != "failed":  # one failing static check on the resource decides
            verdicts[key] = finding.get("status", "")
    return verdicts


def side_by_side(live: list[CheckResult], gate_report: dict[str, Any] | None) -> list[dict[str, str]]:
    static = static_verdicts(gate_report)
    rows = []
    for row in live:
        key = (row.id, row.extra.get("template", ""), row.extra.get("logical", ""))
        template_says = static.get(key, "not judged by the gate" if gate_report else "gate not run")
        rows.append({"policy": row.id, "region": row.region, "resource": row.resource,
                     "template says": template_says,
                     "account shows": f"{row.status}: {row.actual}" if row.actual else row.status,
                     "agree": str(template_says == row.status) if template_says in ("passed", "failed") and row.status != "skipped" else "n/a"})
    return rows
