"""Base class of our Checkov *Python* policies (`policies/<family>/<ID>/check.py`).

A Python policy implements `judge(resource) -> Judgement` on the resource as decoded by
cfn-lint (with line marks) and the whole template (to follow `Ref`/`GetAtt`, find the
bucket policy of a bucket, ...). Checkov sees PASSED / FAILED (unresolved counts as FAILED
for the bare Checkov CLI: it is a finding); the gate reads the full `Judgement` (status,
expected-vs-observed message, reason, line) from the record's `check_result["judgement"]`.
Id and title come from the policy's `metadata.yaml`, so they are written once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from medzen_harness.compliance.template import Template, template_for_check

CATEGORY = {"kms": CheckCategories.ENCRYPTION, "retention": CheckCategories.BACKUP_AND_RECOVERY,
            "tls": CheckCategories.NETWORKING}


@dataclass
class Judgement:
    status: str  # passed | failed | unresolved | not_applicable
    message: str
    reason: str = ""
    line: int | None = None


@dataclass
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    template: Template
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> dict[str, Any]:
        return self.template.tags(self.logical_id)

    def holds_phi(self) -> bool:
        return self.template.holds_phi(self.logical_id)


class Verdicts:
    """Collects problems while a policy walks a resource, then decides one `Judgement`.

    Any definite failure -> failed; else any unresolved value -> unresolved; else passed.
    """

    def __init__(self) -> None:
        self.failures: list[tuple[str, int | None]] = []
        self.unknowns: list[tuple[str, int | None]] = []
        self.passes: list[str] = []

    def fail(self, message: str, line: int | None = None) -> None:
        self.failures.append((message, line))

    def unknown(self, reason: str, line: int | None = None) -> None:
        self.unknowns.append((reason, line))

    def ok(self, message: str) -> None:
        self.passes.append(message)

    def judgement(self, expected: str) -> Judgement:
        if self.failures:
            text = "; ".join(m for m, _ in self.failures)
            return Judgement("failed", f"expected {expected}; observed {text}", line=self.failures[0][1])
        if self.unknowns:
            text = "; ".join(m for m, _ in self.unknowns)
            return Judgement("unresolved", f"expected {expected}; could not be evaluated statically",
                             reason=text, line=self.unknowns[0][1])
        observed = "; ".join(self.passes) or "as expected"
        return Judgement("passed", f"expected {expected}; observed {observed}")


def not_applicable(why: str) -> Judgement:
    return Judgement("not_applicable", why)


class JudgedCheck(BaseResourceCheck):
    """Subclass with `supported_resources` and `judge`; metadata comes from metadata.yaml."""

    supported_resources: tuple[str, ...] = ()
    policy_file: str = ""  # set to __file__ by the subclass

    def __init__(self) -> None:
        metadata = yaml.safe_load((Path(self.policy_file).resolve().parent / "metadata.yaml").read_text())
        self._judgement: Judgement | None = None
        super().__init__(
            name=metadata["title"],
            id=metadata["id"],
            categories=[CATEGORY.get(metadata["family"], CheckCategories.GENERAL_SECURITY)],
            supported_resources=list(self.supported_resources),
        )

    def judge(self, resource: Resource) -> Judgement:  # pragma: no cover - abstract
        raise NotImplementedError

    def judge_resource(self, template: Template, logical_id: str) -> Judgement:
        raw = template.resources.get(logical_id) or {}
        resource = Resource(
            logical_id=logical_id,
            type=str(raw.get("Type", "")),
            properties=template.properties(logical_id),
            template=template,
            metadata=raw.get("Metadata") if isinstance(raw.get("Metadata"), dict) else {},
        )
        return self.judge(resource)

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        template = template_for_check(conf, self.entity_path)
        self._judgement = self.judge_resource(template, self.entity_path.rsplit(":", 1)[-1])
        return {
            "passed": CheckResult.PASSED,
            "not_applicable": CheckResult.UNKNOWN,
        }.get(self._judgement.status, CheckResult.FAILED)

    def run(self, scanned_file: str, entity_configuration: dict[str, Any], entity_name: str,
            entity_type: str, skip_info: Any) -> Any:
        self._judgement = None
        result = super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)
        if self._judgement is not None:
            result["judgement"] = asdict(self._judgement)
        return result


# ---- small helpers shared by the Python policies ------------------------------------

def as_bool(value: Any) -> bool | None:
    """CloudFormation booleans: true/false or "true"/"false" (any case); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def judge_kms_key(verdicts: Verdicts, template: Template, value: Any, what: str, default_key: str) -> None:
    """Record the verdict on a KmsKeyId-like value: absent -> the AWS-managed `default_key`."""
    from medzen_harness.compliance.template import line_of

    if value is None:
        verdicts.fail(f"{what} has no KMS key, so the AWS-managed key {default_key} is used")
        return
    is_cmk, description = template.kms_key(value)
    if is_cmk is True:
        verdicts.ok(f"{what} uses {description}")
    elif is_cmk is False:
        verdicts.fail(f"{what} uses {description}", line_of(value))
    else:
        verdicts.unknown(f"{what}: {description}", line_of(value))
