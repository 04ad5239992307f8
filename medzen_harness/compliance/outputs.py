"""Gate outputs: JSON (the DESIGN.md contract), JUnit XML, SARIF 2.1.0 and Allure results."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from medzen_harness.compliance.gate import WAIVER_POLICY, Finding, GateReport
from medzen_harness.compliance.template import load_template
from medzen_harness.errors import HarnessError

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
ALLURE_SEVERITY = {"critical": "blocker", "high": "critical", "medium": "normal", "low": "minor"}


def _writable(path: str | Path) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(f"cannot create the folder of {path} ({error.strerror}); choose another path") from None
    return path


def write_json(report: GateReport, path: str | Path) -> Path:
    target = _writable(path)
    target.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return target


# ---- JUnit ------------------------------------------------------------------------------

def write_junit(report: GateReport, path: str | Path) -> Path:
    root = ET.Element("testsuites", name="medzen-harness gate")
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.file].append(finding)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for file, findings in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file)
        counts = {"tests": len(findings), "failures": sum(f.is_finding for f in findings),
                  "skipped": sum(f.status == "skipped" for f in findings)}
        for finding in findings:
            case = ET.SubElement(suite, "testcase", classname=f"{finding.family}.{finding.policy}",
                                 name=f"{finding.policy} {finding.resource or '(template)'}",
                                 file=finding.file, line=str(finding.line or 1))
            if finding.is_finding:
                failure = ET.SubElement(case, "failure", type=finding.status,
                                        message=f"{finding.status}: {finding.message}")
                failure.text = _details(finding)
            elif finding.status == "skipped":
                ET.SubElement(case, "skipped", message=finding.reason)
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="hipaa",
                          value=", ".join(finding.hipaa))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    target = _writable(path)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return target


def _details(finding: Finding) -> str:
    lines = [f"{finding.title}", f"file: {finding.file}:{finding.line}", f"resource: {finding.resource} "
             f"({finding.resource_type})", f"severity: {finding.severity}; HIPAA: {', '.join(finding.hipaa) or '-'}",
             f"{finding.message}"]
    if finding.reason:
        lines.append(f"reason: {finding.reason}")
    if finding.remediation:
        lines.append(f"remediation: {finding.remediation}")
    return "\n".join(lines)


# ---- SARIF ------------------------------------------------------------------------------

def write_sarif(report: GateReport, path: str | Path) -> Path:
    rules: dict[str, dict[str, Any]] = {}
    for policy in report.policies:
        rules[policy.id] = {
            "id": policy.id, "name": policy.id,
            "shortDescription": {"text": policy.title},
            "fullDescription": {"text": policy.risk},
            "help": {"text": policy.remediation, "markdown": f"**Remediation:** {policy.remediation}"},
            "helpUri": policy.references[0] if policy.references else None,
            "defaultConfiguration": {"level": SARIF_LEVEL[policy.severity]},
            "properties": {"family": policy.family, "severity": policy.severity, "hipaa": list(policy.hipaa),
                           "security-severity": SECURITY_SEVERITY[policy.severity],
                           "tags": ["security", "hipaa", policy.family, *policy.hipaa]},
        }
    results = []
    for finding in report.findings:
        if finding.status == "passed":
            continue
        if finding.policy not in rules:  # cfn-lint rules and waiver errors
            rules[finding.policy] = {
                "id": finding.policy, "name": finding.policy, "shortDescription": {"text": finding.title},
                "defaultConfiguration": {"level": SARIF_LEVEL[finding.severity]},
                "properties": {"family": finding.family, "severity": finding.severity, "hipaa": finding.hipaa,
                               "tags": [finding.family]},
            }
        result: dict[str, Any] = {
            "ruleId": finding.policy,
            "ruleIndex": list(rules).index(finding.policy),
            "level": SARIF_LEVEL[finding.severity],
            "kind": "fail",
            "message": {"text": f"{finding.resource or finding.file}: {finding.status}: {finding.message}"
                                + (f" Reason: {finding.reason}" if finding.reason else "")},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": Path(finding.file).as_posix()},
                    "region": {"startLine": finding.line or 1,
                               **({"endLine": finding.end_line} if finding.end_line else {})},
                },
                "logicalLocations": [{"name": finding.resource, "kind": "resource",
                                      "fullyQualifiedName": f"{finding.resource_type}.{finding.resource}"}]
                if finding.resource else [],
            }],
            "partialFingerprints": {"medzenFinding/v1": hashlib.sha256(
                f"{finding.policy}|{finding.file}|{finding.resource}".encode()).hexdigest()},
            "properties": {"status": finding.status, "family": finding.family, "hipaa": finding.hipaa,
                           "reason": finding.reason},
        }
        if finding.status == "skipped":
            result["suppressions"] = [{"kind": "inSource", "justification": finding.reason}]
        results.append(result)
    for rule in rules.values():
        if rule.get("helpUri") is None:
            rule.pop("helpUri", None)
    sarif = {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "medzen-harness gate", "version": report.tools.get("medzen-harness", ""),
                                "informationUri": "https://github.com/medzen/medzen-harness",
                                "rules": list(rules.values()),
                                "properties": {"tools": report.tools}}},
            "artifacts": [{"location": {"uri": Path(f).as_posix()}, "hashes": {"sha-256": sha}}
                          for f, sha in report.templates.items()],
            "results": results,
        }],
    }
    target = _writable(path)
    target.write_text(json.dumps(sarif, indent=2) + "\n")
    return target


# ---- Allure -----------------------------------------------------------------------------

def write_allure(report: GateReport, results_dir: str | Path) -> int:
    """One Allure test case per policy x resource (and per cfn-lint record)."""
    from medzen_harness.evidence.allure import AllureResultsWriter, Case, Evidence

    target = Path(results_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(f"cannot create allure results folder {target} ({error.strerror})") from None
    writer = AllureResultsWriter(target)
    policies = {p.id: p for p in report.policies}
    cases = []
    for finding in report.findings:
        policy = policies.get(finding.policy)
        evidence = [Evidence(f"template excerpt {finding.file}", _excerpt(finding), "text/plain", "txt")]
        if finding.reason:
            evidence.append(Evidence("reason", finding.reason, "text/plain", "txt"))
        evidence.append(Evidence("finding (json)", json.dumps(finding.to_dict(), indent=2), "application/json",
                                 "json"))
        description = (f"**{finding.title}**\n\n"
                       + (f"Risk: {policy.risk}\n\n" if policy else "")
                       + (f"Remediation: {finding.remediation}\n\n" if finding.remediation else "")
                       + f"HIPAA: {', '.join(finding.hipaa) or '-'}")
        message = f"{finding.status.upper()}: {finding.message}" + (
            f"\nReason: {finding.reason}" if finding.reason else "")
        cases.append(Case(
            name=f"{finding.policy} on {finding.resource or '(template)'} ({Path(finding.file).name})",
            history_key=f"medzen-gate:{finding.policy}:{finding.file}:{finding.resource}",
            status=finding.status,
            labels={"epic": "Compliance", "feature": finding.family,
                    "story": f"{finding.policy} {finding.title}".strip(),
                    "severity": ALLURE_SEVERITY.get(finding.severity, "normal"),
                    "hipaa": finding.hipaa, "suite": finding.file, "tag": [finding.severity, finding.status]},
            message=message, description=description,
            parameters={"file": finding.file, "resource": finding.resource or "(template)",
                        "resource type": finding.resource_type, "line": finding.line,
                        "template sha256": finding.template_sha256,
                        **{f"{tool} version": v for tool, v in report.tools.items()}},
            evidence=evidence,
        ))
    return writer.write_all(cases)


def _excerpt(finding: Finding) -> str:
    try:
        template = load_template(finding.file)
    except HarnessError:
        return "(template no longer readable)"
    if finding.resource and finding.resource in template.resources:
        return f"{finding.file} ({finding.resource}):\n{template.excerpt(finding.resource)}"
    start = max((finding.line or 1) - 3, 1)
    chunk = template.lines[start - 1 : start + 9]
    return f"{finding.file}:\n" + "".join(f"{start + i:5d}  {line}" for i, line in enumerate(chunk))


__all__ = ["write_json", "write_junit", "write_sarif", "write_allure", "WAIVER_POLICY"]
