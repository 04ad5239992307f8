"""Evidence for Allure, usable from inside pytest *and* from CLI commands.

Inside a pytest run (allure-pytest or allure-pytest-bdd loaded) `attach_*` add to the
current test. CLI commands with `--alluredir` write whole test cases with
`AllureResultsWriter`: one test case per checked thing (policy x resource, drill,
vantage point), with labels, a readable failure message and attachments.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import allure
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import (
    Attachment,
    Label,
    Parameter,
    StatusDetails,
    TestResult,
    TestStepResult,
)
from allure_commons.types import AttachmentType

# Statuses of our JSON contracts -> Allure statuses. "unresolved" is a finding (the gate
# could not prove compliance), so it is shown as failed, not hidden as skipped.
ALLURE_STATUS = {
    "passed": "passed",
    "met": "passed",
    "failed": "failed",
    "missed": "failed",
    "unresolved": "failed",
    "skipped": "skipped",
    "inconclusive": "skipped",  # a measurement too noisy to judge proves nothing either way
    "error": "broken",
    "broken": "broken",
}


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def rows_to_html(rows: Sequence[Mapping[str, Any]], title: str = "") -> str:
    """A small standalone HTML table (Allure renders text/html attachments inline)."""
    if not rows:
        return f"<p>{html.escape(title)}: no rows</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    style = "table{border-collapse:collapse;font-family:sans-serif;font-size:13px}td,th{border:1px solid #999;padding:3px 6px;text-align:left}"
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f"<html><head><style>{style}</style></head><body><table>{caption}<tr>{head}</tr>{body}</table></body></html>"


# ---- inside pytest ---------------------------------------------------------------

def attach_table(rows: Sequence[Mapping[str, Any]], name: str) -> None:
    """Attach rows as an HTML table (readable) and as CSV (re-usable)."""
    allure.attach(rows_to_html(rows, name), name=name, attachment_type=AttachmentType.HTML)
    allure.attach(rows_to_csv(rows), name=f"{name} (csv)", attachment_type=AttachmentType.CSV)


def attach_json(data: Any, name: str) -> None:
    allure.attach(json.dumps(data, indent=2, default=str), name=name, attachment_type=AttachmentType.JSON)


def attach_text(text: str, name: str) -> None:
    allure.attach(text, name=name, attachment_type=AttachmentType.TEXT)


def attach_file(path: str | Path, name: str | None = None) -> None:
    path = Path(path)
    kind = {".png": AttachmentType.PNG, ".csv": AttachmentType.CSV, ".json": AttachmentType.JSON,
            ".html": AttachmentType.HTML, ".log": AttachmentType.TEXT, ".txt": AttachmentType.TEXT}
    allure.attach.file(str(path), name=name or path.name, attachment_type=kind.get(path.suffix, AttachmentType.TEXT))


# ---- from CLI commands -------------------------------------------------------------

@dataclass
class Evidence:
    """One attachment of a standalone test case."""

    name: str
    body: str | bytes
    mime: str = "text/plain"
    extension: str = "txt"


@dataclass
class CaseStep:
    name: str
    status: str = "passed"
    seconds: float = 0.0


@dataclass
class Case:
    """One Allure test case written by a CLI command.

    `history_key` must be stable across runs (e.g. policy id + file + resource): Allure
    uses it to draw trends and history between nightly runs.
    """

    name: str
    history_key: str
    status: str
    labels: dict[str, str | Sequence[str]] = field(default_factory=dict)
    message: str = ""
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    steps: list[CaseStep] = field(default_factory=list)
    start_ms: int | None = None
    stop_ms: int | None = None


class AllureResultsWriter:
    """Writes `Case`s into an allure-results directory (the same format allure-pytest writes)."""

    def __init__(self, results_dir: str | Path):
        self.results_dir = Path(results_dir)
        self._logger = AllureFileLogger(str(self.results_dir), clean=False)

    def _attachment(self, evidence: Evidence) -> Attachment:
        source = f"{uuid.uuid4()}-attachment.{evidence.extension}"
        self._logger.report_attached_data(evidence.body, source)
        return Attachment(name=evidence.name, source=source, type=evidence.mime)

    def write(self, case: Case) -> None:
        now = int(time.time() * 1000)
        labels: list[Label] = []
        for name, value in case.labels.items():
            values = [value] if isinstance(value, str) else list(value)
            labels.extend(Label(name=name, value=str(v)) for v in values)
        if not any(label.name == "framework" for label in labels):
            labels.append(Label(name="framework", value="medzen-harness"))
        status = ALLURE_STATUS.get(case.status, case.status)
        history_id = hashlib.md5(case.history_key.encode()).hexdigest()
        start = case.start_ms or now
        result = TestResult(
            uuid=str(uuid.uuid4()),
            historyId=history_id,
            testCaseId=history_id,
            fullName=case.history_key,
            name=case.name,
            status=status,
            statusDetails=StatusDetails(message=case.message) if case.message else None,
            description=case.description or None,
            labels=labels,
            parameters=[Parameter(name=k, value=str(v)) for k, v in case.parameters.items()],
            attachments=[self._attachment(e) for e in case.evidence],
            steps=[
                TestStepResult(name=s.name, status=ALLURE_STATUS.get(s.status, s.status),
                               start=start, stop=start + int(s.seconds * 1000))
                for s in case.steps
            ],
            start=start,
            stop=case.stop_ms or now,
        )
        self._logger.report_result(result)

    def write_all(self, cases: Iterable[Case]) -> int:
        count = 0
        for case in cases:
            self.write(case)
            count += 1
        return count


def table_evidence(rows: Sequence[Mapping[str, Any]], name: str) -> list[Evidence]:
    """An HTML table plus its CSV, as standalone attachments."""
    return [
        Evidence(name, rows_to_html(rows, name), "text/html", "html"),
        Evidence(f"{name} (csv)", rows_to_csv(rows), "text/csv", "csv"),
    ]
