"""A gate report seen through one auditor question (for BDD steps and other consumers).

`GateView(report, files).expect_compliant(["MZ_KMS_S3"], phi_only=True)` selects the
records that answer the question, returns them as evidence rows, and raises
`AssertionError` with one readable line per finding when any record is a finding — or
when nothing was judged at all (an empty answer is not evidence of compliance).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from medzen_harness.compliance.gate import Finding, GateReport
from medzen_harness.compliance.template import load_template


def holds_phi(finding: Finding) -> bool:
    """Is the finding's resource tagged DataClassification=PHI in its template?"""
    return bool(finding.resource) and load_template(finding.file).holds_phi(finding.resource)


def evidence_rows(findings: Iterable[Finding]) -> list[dict[str, str]]:
    return [{"status": f.status, "policy": f.policy, "file": f.file, "line": str(f.line or ""),
             "resource": f.resource or "(template)", "type": f.resource_type,
             "hipaa": ", ".join(f.hipaa), "message": f.message, "reason": f.reason} for f in findings]


@dataclass
class GateView:
    report: GateReport
    files: Sequence[Path] | None = None  # None: every template of the report

    def records(self, policies: Iterable[str] | None = None, family: str | None = None,
                phi_only: bool = False) -> list[Finding]:
        wanted_files = {str(Path(f).resolve()) for f in self.files} if self.files is not None else None
        wanted = set(policies) if policies is not None else None
        selected = []
        for finding in self.report.findings:
            if wanted_files is not None and str(Path(finding.file).resolve()) not in wanted_files:
                continue
            if wanted is not None and finding.policy not in wanted:
                continue
            if family is not None and finding.family != family:
                continue
            if phi_only and not holds_phi(finding):
                continue
            selected.append(finding)
        return selected

    def expect_compliant(self, policies: Iterable[str] | None = None, family: str | None = None,
                         phi_only: bool = False, what: str = "") -> list[dict[str, str]]:
        """Evidence rows; AssertionError if nothing was judged or any record is a finding."""
        records = self.records(policies, family, phi_only)
        rows = evidence_rows(records)
        if not records:
            raise AssertionError(f"nothing was judged for {what or 'this question'}: "
                                 "no matching resource in the templates")
        findings = [f for f in records if f.is_finding]
        if findings:
            lines = [f"{f.status.upper()} {f.policy} {f.resource or '(template)'} ({f.file}:{f.line}): "
                     f"{f.message}{' - ' + f.reason if f.reason else ''}" for f in findings]
            raise AssertionError(f"{len(findings)} finding(s) for {what or 'this question'}:\n" + "\n".join(lines))
        return rows
