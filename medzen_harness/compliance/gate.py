"""The pre-release compliance gate: cfn-lint + our Checkov policies -> findings.

`run_gate(paths)` returns a `GateReport`: one `Finding` per policy x resource (plus one
cfn-lint record per template, and one per cfn-lint match), with waivers applied. The exit
code is 0 when every record passed or is waived, 1 when any is `failed` or `unresolved`;
unusable input raises `HarnessError` (exit 2) before anything is judged.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.compliance.catalogue import PolicyMeta, load_policies
from medzen_harness.compliance.lint import SEVERITY_OF_LEVEL, lint_template
from medzen_harness.compliance.scan import PolicyResult, run_checkov
from medzen_harness.compliance.template import Template, load_template
from medzen_harness.errors import HarnessError

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
FINDING_STATUSES = ("failed", "unresolved")
LINT_CLEAN = "cfn-lint"
WAIVER_POLICY = "MZ_WAIVER"


@dataclass
class Finding:
    policy: str
    family: str
    severity: str
    hipaa: list[str]
    file: str
    resource: str
    resource_type: str
    status: str  # passed | failed | skipped | unresolved
    message: str
    reason: str = ""
    title: str = ""
    remediation: str = ""
    line: int | None = None
    end_line: int | None = None
    template_sha256: str = ""

    def __post_init__(self) -> None:
        # plain built-in values only (cfn-lint's decoder yields str subclasses with line marks):
        # findings cross process boundaries (pickle) and go into JSON/XML
        for name in ("policy", "family", "severity", "file", "resource", "resource_type", "status",
                     "message", "reason", "title", "remediation", "template_sha256"):
            setattr(self, name, str(getattr(self, name)))
        self.hipaa = [str(h) for h in self.hipaa]

    @property
    def is_finding(self) -> bool:
        return self.status in FINDING_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GateReport:
    findings: list[Finding]
    templates: dict[str, str]  # display path -> sha256
    tools: dict[str, str]
    seconds: float = 0.0
    policies: list[PolicyMeta] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.is_finding for f in self.findings) else 0

    def summary(self) -> dict[str, Any]:
        by_status = Counter(f.status for f in self.findings)
        by_family = Counter(f.family for f in self.findings if f.is_finding)
        return {
            "verdict": "fail" if self.exit_code else "pass",
            "templates": len(self.templates),
            "records": len(self.findings),
            **{status: by_status.get(status, 0) for status in ("passed", "failed", "unresolved", "skipped")},
            "findings_by_family": dict(sorted(by_family.items())),
            "policies": [p.id for p in self.policies],
            "tools": self.tools,
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "summary": self.summary(),
                "templates": [{"file": k, "sha256": v} for k, v in self.templates.items()]}

    def for_file(self, display: str) -> list[Finding]:
        return [f for f in self.findings if f.file == display]


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it (stable in reports), else absolute."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def collect_templates(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders searched recursively for *.yaml/*.yml/*.json/*.template."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)
            if not found:
                raise HarnessError(f"folder {path} contains no templates (*.yaml, *.yml, *.json, *.template)")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise HarnessError(f"{path} does not exist; pass CloudFormation template files or folders")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    if not unique:
        raise HarnessError("no templates given; pass CloudFormation template files or folders")
    return unique


def tool_versions() -> dict[str, str]:
    from importlib.metadata import version

    from medzen_harness import __version__

    versions = {name: version(name) for name in ("checkov", "cfn-lint") if _has_distribution(name)}
    return {**versions, "medzen-harness": __version__}


def _has_distribution(name: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(name)
    except PackageNotFoundError:
        return False
    return True


def run_gate(paths: Sequence[str | Path], regions: Sequence[str],
             policy_ids: Iterable[str] | None = None, lint: bool = True) -> GateReport:
    started = time.perf_counter()
    policies = load_policies()
    if policy_ids is not None:
        wanted = set(policy_ids)
        unknown = wanted - {p.id for p in policies}
        if unknown:
            raise HarnessError(f"unknown policy id(s) {', '.join(sorted(unknown))}; see `policies/`")
        policies = [p for p in policies if p.id in wanted]
    files = collect_templates(paths)
    templates = [load_template(f) for f in files]  # HarnessError (exit 2) on unusable input

    findings: list[Finding] = []
    by_id = {p.id: p for p in policies}
    paths_to_lint = [str(t.path) for t in templates]
    with _background(_lint_all if lint else None, paths_to_lint, list(regions)) as lint_result:
        results = run_checkov([t.path for t in templates], policies) if policies else []
    findings.extend(lint_result())
    by_path = {t.path: t for t in templates}
    policy_findings = [_policy_finding(r, by_id[r.policy], by_path[r.file]) for r in results]
    findings.extend(apply_waivers(policy_findings, templates, by_id))
    order = {t.path: i for i, t in enumerate(templates)}
    findings.sort(key=lambda f: (order.get(Path(f.file).resolve(), 0), 0 if f.family == "lint" else 1,
                                 f.policy, f.resource))
    return GateReport(findings=findings, templates={display_path(t.path): t.sha256 for t in templates},
                      tools=tool_versions(), seconds=time.perf_counter() - started, policies=policies)


@contextmanager
def _background(job: Callable[..., list[Finding]] | None, *args: Any) -> Iterator[Callable[[], list[Finding]]]:
    """Run `job(*args)` in a forked child while the body runs (cfn-lint beside Checkov: the two
    use the two cores). Sequential when fork is unsafe (threads running) or
    MEDZEN_GATE_PARALLEL=0. The child is always reaped, also on errors and Ctrl-C."""
    if job is None:
        yield list
        return
    parallel = (os.environ.get("MEDZEN_GATE_PARALLEL", "1") != "0" and threading.active_count() == 1
                and "fork" in multiprocessing.get_all_start_methods())
    if not parallel:
        yield lambda: job(*args)
        return
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        future = executor.submit(job, *args)
        yield future.result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _lint_all(paths: Sequence[str], regions: Sequence[str]) -> list[Finding]:
    """cfn-lint every template (by path: a forked child finds them in the decode cache)."""
    return [finding for path in paths for finding in _lint_findings(load_template(path), regions)]


def _lint_findings(template: Template, regions: Sequence[str]) -> list[Finding]:
    shown = display_path(template.path)
    matches = lint_template(template, regions)
    if not matches:
        return [Finding(policy=LINT_CLEAN, family="lint", severity="high", hipaa=[], file=shown,
                        resource="", resource_type="AWS::CloudFormation::Template", status="passed",
                        message="cfn-lint reports no errors and no warnings",
                        title="The template passes cfn-lint", line=1,
                        template_sha256=template.sha256)]
    return [Finding(policy=m.rule, family="lint", severity=SEVERITY_OF_LEVEL[m.level], hipaa=[],
                    file=shown, resource=m.resource,
                    resource_type=template.resource_type(m.resource) or "AWS::CloudFormation::Template",
                    status="failed", message=f"cfn-lint {m.level} {m.rule}: {m.message}",
                    title=f"cfn-lint {m.rule}: {m.title}",
                    remediation="Fix the template, or suppress a warning in the template's Metadata "
                                "(cfn-lint: config: ignore_checks) with a written reason.",
                    line=m.line, template_sha256=template.sha256) for m in matches]


def _policy_finding(result: PolicyResult, policy: PolicyMeta, template: Template) -> Finding:
    start, end = result.lines or template.resource_lines(result.resource)
    return Finding(
        policy=policy.id, family=policy.family, severity=policy.severity, hipaa=list(policy.hipaa),
        file=display_path(template.path), resource=result.resource, resource_type=result.resource_type,
        status=result.status, message=result.message, reason=result.reason, title=policy.title,
        remediation=policy.remediation, line=result.line or start, end_line=end,
        template_sha256=template.sha256,
    )


# ---- waivers ---------------------------------------------------------------------------

def declared_waivers(template: Template, logical_id: str) -> list[Any]:
    resource = template.resources.get(logical_id)
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    medzen = metadata.get("medzen") if isinstance(metadata, dict) else None
    waivers = medzen.get("waivers") if isinstance(medzen, dict) else None
    if waivers is None:
        return []
    return waivers if isinstance(waivers, list) else [waivers]


def apply_waivers(findings: list[Finding], templates: Sequence[Template],
                  policies: dict[str, PolicyMeta]) -> list[Finding]:
    """A valid waiver (policy + written reason) turns that policy's record into `skipped`.

    A waiver without a reason, naming an unknown policy, or malformed is itself a failed
    finding (family `waiver`) and waives nothing.
    """
    valid: dict[tuple[str, str, str], str] = {}
    errors: list[Finding] = []
    for template in templates:
        shown = display_path(template.path)
        for logical_id in template.resources:
            for waiver in declared_waivers(template, logical_id):
                problem, policy_id, reason = _check_waiver(waiver, policies)
                if problem:
                    start, end = template.resource_lines(logical_id)
                    errors.append(Finding(
                        policy=WAIVER_POLICY, family="waiver", severity="high", hipaa=[], file=shown,
                        resource=logical_id, resource_type=str(template.resource_type(logical_id)),
                        status="failed", message=f"invalid waiver: {problem}",
                        title="Waivers name a MedZen policy and give a written reason",
                        remediation="Write Metadata: {medzen: {waivers: [{policy: MZ_..., reason: '...'}]}}",
                        line=start, end_line=end, template_sha256=template.sha256))
                else:
                    valid[(shown, logical_id, policy_id)] = reason
    for finding in findings:
        reason = valid.get((finding.file, finding.resource, finding.policy))
        if reason:
            finding.reason = f"waived: {reason} (verdict without the waiver: {finding.status}; {finding.message})"
            finding.status = "skipped"
    return findings + errors


def _check_waiver(waiver: Any, policies: dict[str, PolicyMeta]) -> tuple[str, str, str]:
    if not isinstance(waiver, dict):
        return f"{waiver!r} is not a mapping with policy and reason", "", ""
    policy_id = str(waiver.get("policy") or "").strip()
    reason = waiver.get("reason")
    reason = " ".join(str(reason).split()) if reason is not None else ""
    if not policy_id:
        return "no policy id", "", ""
    if policy_id not in policies:
        return f"unknown policy {policy_id}", policy_id, ""
    if not reason:
        return f"waiver of {policy_id} has no written reason", policy_id, ""
    return "", policy_id, reason


def default_paths() -> list[Path]:
    """`cloudformation/` of the working directory, else of the repository."""
    local = Path("cloudformation")
    return [local if local.is_dir() else REPO_ROOT / "cloudformation"]


CORPUS = Path("shared") / "corpus" / "aws-cloudformation-templates"


def corpus_dir() -> Path | None:
    """The shared third-party corpus: `../shared/corpus/...` next to the repository (CI), or
    next to an ancestor of it (a git worktree); $MEDZEN_CORPUS overrides."""
    if os.environ.get("MEDZEN_CORPUS"):
        return Path(os.environ["MEDZEN_CORPUS"])
    for ancestor in REPO_ROOT.parents:
        if (ancestor / CORPUS).is_dir():
            return ancestor / CORPUS
    return None
