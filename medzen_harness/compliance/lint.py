"""cfn-lint in-process over already-decoded templates (rules are loaded once per process).

How cfn-lint levels count in the gate: an **error** is a finding (severity high); a
**warning** is a finding too (severity low) — the project's rule is "no errors and no
warnings", and a warning is suppressed only in the template's own Metadata
(`cfn-lint: config: ignore_checks`) with a written reason next to it; **informational**
matches are not reported.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from medzen_harness.compliance.template import Template

SEVERITY_OF_LEVEL = {"error": "high", "warning": "low"}


@dataclass
class LintResult:
    rule: str
    title: str
    level: str  # error | warning
    resource: str
    message: str
    line: int | None


@lru_cache(maxsize=1)
def _rules() -> Any:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn([])).rules


def lint_template(template: Template, regions: Sequence[str]) -> list[LintResult]:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.template.runner import run_template_by_data

    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    data = copy.deepcopy(template.data) if "Transform" in template.data else template.data
    config = ConfigMixIn([], regions=list(regions))
    results = []
    for match in run_template_by_data(data, config, _rules()):
        level = match.rule.severity
        if level not in SEVERITY_OF_LEVEL:
            continue
        path = list(getattr(match, "path", None) or [])
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else ""
        results.append(LintResult(rule=match.rule.id, title=match.rule.shortdesc, level=level,
                                  resource=resource, message=" ".join(str(match.message).split()),
                                  line=match.linenumber))
    return results
