"""The report's failure categories: policy violation, target missed, not emulated, harness error.

One table (`CATEGORIES`) drives both the Allure 3 config (`allure_categories_js`) and the
Python mirror (`categorize`) used by tests and the pipeline summary. The first rule that
matches wins; what matches nothing falls into Allure's defaults ("Product errors" for
failed, "Test errors" for broken). The conventions for the other helpers are in
evidence/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Category:
    name: str
    statuses: tuple[str, ...]
    message_regex: str | None = None        # searched, case-insensitive, in statusDetails.message
    labels: Mapping[str, str] = field(default_factory=dict)  # label name -> regex on its value
    meaning: str = ""


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Policy violation", ("failed",), labels={"epic": "^Compliance$"},
        meaning="a HIPAA policy check found a non-compliant (or unprovable) resource",
    ),
    Category(
        "Target missed", ("failed",), message_regex=r"\b(missed|target)\b",
        meaning="a measured RTO, RPO or latency is worse than its target",
    ),
    Category(
        "Not emulated", ("skipped",), message_regex=r"^not emulated:",
        meaning="the embedded lab cannot emulate this check; it was not run (never a pass)",
    ),
    Category(
        "Harness error", ("broken",),
        meaning="the harness itself failed (exception, unreachable tool); the result proves nothing",
    ),
)


def _matches(category: Category, status: str, labels: Mapping[str, Sequence[str]], message: str) -> bool:
    if status not in category.statuses:
        return False
    for name, pattern in category.labels.items():
        if not any(re.search(pattern, value) for value in labels.get(name, ())):
            return False
    return category.message_regex is None or re.search(category.message_regex, message, re.IGNORECASE) is not None


def categorize(status: str, labels: Mapping[str, Sequence[str]], message: str = "") -> str | None:
    """The category name Allure will show for a result, or None (uncategorised)."""
    for category in CATEGORIES:
        if _matches(category, status, labels, message or ""):
            return category.name
    return None


def allure_categories_js() -> str:
    """The `categories` value of a generated allurerc.mjs (JavaScript, with case-insensitive RegExps)."""

    def regex(pattern: str, flags: str = "") -> str:
        return f"new RegExp({json.dumps(pattern)}, {json.dumps(flags)})"

    rules = []
    for category in CATEGORIES:
        parts = [f"statuses: {json.dumps(list(category.statuses))}"]
        if category.labels:
            labels = ", ".join(f"{json.dumps(k)}: {regex(v)}" for k, v in category.labels.items())
            parts.append(f"labels: {{{labels}}}")
        if category.message_regex:
            parts.append(f"message: {regex(category.message_regex, 'i')}")
        rules.append(f"{{ name: {json.dumps(category.name)}, matchers: [{{ {', '.join(parts)} }}] }}")
    return "{ rules: [\n    " + ",\n    ".join(rules) + "\n  ] }"


def markdown_table() -> str:
    """The categories as a Markdown table (for evidence/README.md and the auditors' guide)."""
    lines = ["| category | status | message regex (case-insensitive) | labels | meaning |", "|---|---|---|---|---|"]
    for c in CATEGORIES:
        labels = ", ".join(f"{k} ~ `{v}`" for k, v in c.labels.items()) or "—"
        regex = f"`{c.message_regex}`".replace("|", "\\|") if c.message_regex else "—"
        lines.append(f"| {c.name} | {', '.join(c.statuses)} | {regex} | {labels} | {c.meaning} |")
    return "\n".join(lines)
