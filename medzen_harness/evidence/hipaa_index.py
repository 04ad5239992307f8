"""The HIPAA control index: for every control (label `hipaa` on a result), the tests that
evidence it and their status.

Built from the raw allure-results (the `*-result.json` files written by allure-pytest,
allure-pytest-bdd and `AllureResultsWriter`). It is written as `hipaa-index.html` beside the
report's index.html and attached to the report as a global attachment ("Global
Attachments" tab), so an auditor reaches it from the report itself.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# 45 CFR Part 164 — the Security Rule (and the Privacy Rule's retention) controls this harness
# can evidence. An id missing here is still indexed, with "(title not in the catalogue)".
CONTROL_TITLES: dict[str, str] = {
    "164.308(a)(1)(ii)(D)": "Information system activity review",
    "164.308(a)(7)(i)": "Contingency plan",
    "164.308(a)(7)(ii)(A)": "Data backup plan",
    "164.308(a)(7)(ii)(B)": "Disaster recovery plan",
    "164.308(a)(7)(ii)(C)": "Emergency mode operation plan",
    "164.308(a)(7)(ii)(D)": "Testing and revision procedures (contingency plan)",
    "164.310(d)(2)(iv)": "Data backup and storage",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(iv)": "Encryption and decryption (at rest)",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(c)(2)": "Mechanism to authenticate electronic PHI",
    "164.312(d)": "Person or entity authentication",
    "164.312(e)(1)": "Transmission security",
    "164.312(e)(2)(i)": "Integrity controls (in transmission)",
    "164.312(e)(2)(ii)": "Encryption (in transmission)",
    "164.316(b)(1)": "Documentation",
    "164.316(b)(2)(i)": "Time limit: retain documentation 6 years",
    "164.530(j)": "Retention of documentation (6 years)",
}

# Worst first: a control is as good as its worst evidence.
STATUS_RANK = {"failed": 0, "broken": 1, "unknown": 2, "skipped": 3, "passed": 4}
CONTROL_VERDICT = {
    "failed": "VIOLATED — at least one check failed",
    "broken": "NOT PROVEN — a check could not run (harness error)",
    "unknown": "NOT PROVEN — a check has no result",
    "skipped": "NOT PROVEN — a check was not run (e.g. not emulated)",
    "passed": "EVIDENCED — every check passed",
}


@dataclass(frozen=True)
class EvidenceRow:
    control: str
    test: str
    status: str
    message: str
    epic: str
    feature: str


def read_results(results_dir: str | Path) -> list[dict[str, Any]]:
    """Every Allure test result in `results_dir` (unreadable files are skipped, as Allure does)."""
    results = []
    for path in sorted(Path(results_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            results.append(data)
    return results


def _labels(result: Mapping[str, Any]) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = defaultdict(list)
    for label in result.get("labels") or []:
        if isinstance(label, dict) and label.get("name") and label.get("value") is not None:
            labels[label["name"]].append(str(label["value"]))
    return labels


def evidence_rows(results: Iterable[Mapping[str, Any]]) -> list[EvidenceRow]:
    """One row per (control, test); sorted by control then worst status first."""
    rows = []
    for result in results:
        labels = _labels(result)
        message = ((result.get("statusDetails") or {}).get("message") or "").strip()
        for control in sorted(set(labels.get("hipaa", []))):
            rows.append(EvidenceRow(
                control=control,
                test=str(result.get("name") or result.get("fullName") or "?"),
                status=str(result.get("status") or "unknown"),
                message=message.splitlines()[0] if message else "",
                epic=", ".join(labels.get("epic", [])),
                feature=", ".join(labels.get("feature", [])),
            ))
    return sorted(rows, key=lambda r: (r.control, STATUS_RANK.get(r.status, 2), r.test))


def control_status(rows: Iterable[EvidenceRow]) -> dict[str, str]:
    """Control id -> the worst status among the tests evidencing it."""
    worst: dict[str, str] = {}
    for row in rows:
        current = worst.get(row.control)
        if current is None or STATUS_RANK.get(row.status, 2) < STATUS_RANK.get(current, 2):
            worst[row.control] = row.status
    return worst


STYLE = """
body{font-family:system-ui,sans-serif;font-size:14px;margin:16px;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:20px}
td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee} h2{font-size:16px;margin:18px 0 6px}
.passed{color:#15803d;font-weight:bold}.failed{color:#b91c1c;font-weight:bold}
.broken{color:#b45309;font-weight:bold}.skipped,.unknown{color:#64748b;font-weight:bold}
"""


def render_html(rows: list[EvidenceRow], title: str = "HIPAA control index") -> str:
    """A standalone HTML page (no scripts, no external resources)."""
    esc = html.escape
    statuses = control_status(rows)
    summary_rows = "".join(
        f"<tr><td><a href='#c-{esc(c)}'>{esc(c)}</a></td><td>{esc(CONTROL_TITLES.get(c, '(title not in the catalogue)'))}</td>"
        f"<td class='{esc(s)}'>{esc(CONTROL_VERDICT.get(s, s))}</td>"
        f"<td>{sum(1 for r in rows if r.control == c)}</td></tr>"
        for c, s in sorted(statuses.items())
    )
    sections = []
    for control in sorted(statuses):
        body = "".join(
            f"<tr><td>{esc(r.test)}</td><td class='{esc(r.status)}'>{esc(r.status)}</td>"
            f"<td>{esc(r.epic)}</td><td>{esc(r.feature)}</td><td>{esc(r.message)}</td></tr>"
            for r in rows if r.control == control
        )
        sections.append(
            f"<h2 id='c-{esc(control)}'>{esc(control)} — {esc(CONTROL_TITLES.get(control, '(title not in the catalogue)'))}</h2>"
            "<table><tr><th>test</th><th>status</th><th>epic</th><th>feature</th><th>message</th></tr>"
            f"{body}</table>"
        )
    if not rows:
        summary = "<p>No test result carries a <code>hipaa</code> label: no control is evidenced by this run.</p>"
    else:
        summary = (
            f"<p>{len(statuses)} controls evidenced by {len(rows)} (control, test) pairs. "
            "A control is as good as its worst check: failed &gt; broken &gt; skipped &gt; passed.</p>"
            "<table><tr><th>control</th><th>title</th><th>verdict</th><th>tests</th></tr>"
            f"{summary_rows}</table>"
        )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>{summary}{''.join(sections)}</body></html>"
    )


def write_hipaa_index(results_dir: str | Path, out_path: str | Path) -> Path:
    out_path = Path(out_path)
    out_path.write_text(render_html(evidence_rows(read_results(results_dir))), encoding="utf-8")
    return out_path
