"""Gherkin tags -> Allure labels, so auditors can filter the report by HIPAA control.

`@severity:critical` -> label severity=critical, `@hipaa:164.312(e)(1)` -> label
hipaa=164.312(e)(1); also epic/feature/story/owner/family. Other tags stay plain tags.
"""

from __future__ import annotations

LABEL_PREFIXES = ("severity", "hipaa", "epic", "feature", "story", "owner", "family", "suite")


def label_for_tag(tag: str) -> tuple[str, str] | None:
    name, sep, value = tag.partition(":")
    if not sep or name not in LABEL_PREFIXES or not value:
        return None
    return name, value
