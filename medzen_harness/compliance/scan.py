"""Checkov in-process with only our policies, no network; results as plain `PolicyResult`s.

Checkov is imported here, lazily, after `BC_SKIP_MAPPING`/`CHECKOV_SKIP_DOWNLOAD` are set
(else it fetches guideline mappings from the network on every run) and with its loggers
muted (it logs parse errors and "custom policy missing fields" for our metadata.yaml and
fixtures; the gate reports what matters itself, as one line).

YAML policies judge one attribute; Checkov resolves a `Ref` to a parameter by its default
but leaves other intrinsics as dicts (an `exists` test would then pass on
`Fn::ImportValue`). So for every YAML-policy result the gate re-reads the attributes
Checkov evaluated (`evaluated_keys`) from the template and, when one cannot be evaluated
statically, reports `unresolved` with the reason — except a KMS key attribute naming an
`AWS::KMS::Key`/`Alias` of the same template, which *is* a customer-managed key. Python
policies decide `unresolved` themselves (see judged_check.py).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medzen_harness.compliance.catalogue import PolicyMeta
from medzen_harness.compliance.template import (
    KMS_KEY_ATTRIBUTES,
    ResourceRef,
    Template,
    Unresolved,
    line_of,
    load_template,
    short,
)
from medzen_harness.errors import HarnessError


@dataclass
class PolicyResult:
    policy: str
    file: Path
    resource: str  # logical id
    resource_type: str
    status: str  # passed | failed | unresolved
    message: str
    reason: str = ""
    line: int | None = None
    lines: tuple[int, int] | None = None


def _quiet_checkov() -> None:
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")
    os.environ.setdefault("CHECKOV_SKIP_DOWNLOAD", "TRUE")
    os.environ.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
    os.environ.setdefault("LOG_LEVEL", "CRITICAL")
    # Checkov would fork workers to parse the files; the gate already runs cfn-lint on the
    # second core, so Checkov parses in-process (less CPU, no oversubscription on 2 cores)
    os.environ.setdefault("CHECKOV_PARALLELIZATION_TYPE", "none")
    for name in ("checkov", "root"):
        logging.getLogger(None if name == "root" else name).setLevel(logging.CRITICAL)
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.NullHandler())


def reuse_jsonpath_parsers() -> None:
    """Build Checkov's JSONPath (PLY) parser once per process instead of once per attribute.

    Checkov's graph renderer parses a JSONPath for every rendered attribute and
    bc_jsonpath_ng regenerates the LALR tables for each parse (~60 ms here; 40-50 parses
    for the MedZen templates). The grammar object is stateless, so the generated parser is
    reused — only for bc_jsonpath_ng's own grammar; other PLY users are untouched.
    """
    import ply.yacc
    from bc_jsonpath_ng.parser import JsonPathParser

    if getattr(ply.yacc.yacc, "medzen_cached", False):
        return
    original = ply.yacc.yacc
    parsers: dict[tuple[Any, ...], Any] = {}

    def yacc(*args: Any, **kwargs: Any) -> Any:
        module = kwargs.get("module")
        if args or not isinstance(module, JsonPathParser):
            return original(*args, **kwargs)
        key = (type(module), kwargs.get("start"), bool(kwargs.get("debug")))
        if key not in parsers:
            parsers[key] = original(**kwargs)
        return parsers[key]

    yacc.medzen_cached = True  # type: ignore[attr-defined]
    ply.yacc.yacc = yacc


@contextmanager
def checks_dir(policies: Sequence[PolicyMeta]) -> Iterator[str]:
    """A temporary Checkov external-checks folder holding only the policies' check files.

    Handing Checkov `policies/` itself would make it `yaml.safe_load` every metadata.yaml and
    fixture under it (~100 files, ~0.3 s per run) while looking for YAML policies. The folder
    holds symlinks `<ID>.yaml` / `<ID>.py` (+ `__init__.py`), so module names are the unique
    policy ids and each check still finds its metadata.yaml through the resolved link.
    """
    with tempfile.TemporaryDirectory(prefix="medzen-gate-checks-") as folder:
        (Path(folder) / "__init__.py").touch()
        for policy in policies:
            suffix = ".py" if policy.kind == "python" else ".yaml"
            (Path(folder) / f"{policy.id}{suffix}").symlink_to(policy.check_file)
        yield folder


def run_checkov(files: Sequence[Path], policies: Sequence[PolicyMeta]) -> list[PolicyResult]:
    """Run our policies over `files` (already validated templates) with Checkov in-process."""
    _quiet_checkov()
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    reuse_jsonpath_parsers()

    class GateRunner(Runner):
        """Checkov's runner, except that `Metadata: checkov: skip` cannot skip a MedZen policy:
        waivers are `Metadata: medzen: waivers` with a written reason (handled by the gate)."""

        def check_definitions(self, root_folder: Any, runner_filter: Any, report: Any) -> None:
            ours = set(runner_filter.checks)
            for file_context in self.context.values():
                for resource in (file_context.get("Resources") or {}).values():
                    if isinstance(resource, dict) and resource.get("skipped_checks"):
                        resource["skipped_checks"] = [s for s in resource["skipped_checks"]
                                                      if s.get("id") not in ours]
            super().check_definitions(root_folder, runner_filter, report)

    runner_filter = RunnerFilter(framework=["cloudformation"], checks=[p.id for p in policies],
                                 show_progress_bar=False)
    with checks_dir(policies) as external_checks:
        report = GateRunner().run(root_folder=None, files=[str(f) for f in files],
                                  external_checks_dir=[external_checks], runner_filter=runner_filter,
                                  collect_skip_comments=False)
    if isinstance(report, list):  # only with image references, which we do not enable
        report = report[0]
    if report.parsing_errors:
        raise HarnessError(f"Checkov could not parse {', '.join(sorted(report.parsing_errors))}; "
                           "fix the template syntax")
    known = {p.id: p for p in policies}
    results = []
    for record in report.passed_checks + report.failed_checks:
        if record.check_id in known:
            results.append(_to_result(record, known[record.check_id]))
    return results + _judge_what_checkov_skipped(results, files, policies)


def _judge_what_checkov_skipped(results: list[PolicyResult], files: Sequence[Path],
                                policies: Sequence[PolicyMeta]) -> list[PolicyResult]:
    """Judge resources Checkov left out, so that no resource is silently not judged.

    Checkov drops from its Python-check pass a resource whose `Condition` is false under the
    parameter defaults (e.g. the DR read replica of a template deployed as primary by
    default). A template deployed in several modes must be judged in all of them: the gate
    runs the same policy code on those resources. A YAML policy without a verdict for a
    resource of its types is reported `unresolved`.
    """
    from checkov.cloudformation.checks.resource.registry import cfn_registry

    seen = {(r.policy, r.file, r.resource) for r in results}
    extra = []
    for path in files:
        template = load_template(path)
        for logical_id, resource in template.resources.items():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                continue  # not a resource Checkov could judge; cfn-lint reports it
            resource_type = resource["Type"]
            for policy in policies:
                if (policy.id, template.path, logical_id) in seen:
                    continue
                condition = resource.get("Condition")
                why = (f"Checkov skipped it: its Condition {condition} is false under the parameter defaults"
                       if condition else "Checkov produced no verdict for it")
                check = next((c for c in cfn_registry.get_checks(resource_type) if c.id == policy.id), None)
                if policy.kind == "python" and check is not None:
                    judgement = check.judge_resource(template, logical_id)
                    if judgement.status == "not_applicable":
                        continue
                    extra.append(PolicyResult(
                        policy=policy.id, file=template.path, resource=logical_id, resource_type=resource_type,
                        status=judgement.status, message=f"{judgement.message} (judged by the gate: {why})",
                        reason=judgement.reason, line=judgement.line, lines=template.resource_lines(logical_id)))
                elif policy.kind == "yaml" and resource_type in policy.resource_types:
                    extra.append(PolicyResult(
                        policy=policy.id, file=template.path, resource=logical_id, resource_type=resource_type,
                        status="unresolved", message=f"expected: {policy.title}; no verdict",
                        reason=why, lines=template.resource_lines(logical_id)))
    return extra


def _to_result(record: Any, policy: PolicyMeta) -> PolicyResult:
    template = load_template(record.file_abs_path)
    resource_type, _, logical_id = record.resource.partition(".")
    outcome = record.check_result
    passed = outcome["result"].name == "PASSED"
    result = PolicyResult(
        policy=policy.id, file=template.path, resource=logical_id, resource_type=resource_type,
        status="passed" if passed else "failed", message="",
        lines=template.resource_lines(logical_id),
    )
    judgement = outcome.get("judgement")
    if judgement:  # a Python policy said everything itself
        result.status, result.message = judgement["status"], judgement["message"]
        result.reason, result.line = judgement["reason"], judgement["line"]
        return result
    return _judge_yaml_result(result, template, policy, list(outcome.get("evaluated_keys") or []))


def _judge_yaml_result(result: PolicyResult, template: Template, policy: PolicyMeta,
                       evaluated_keys: list[str]) -> PolicyResult:
    properties = template.properties(result.resource)
    observed, unknowns, failures = [], [], []
    for key in dict.fromkeys(evaluated_keys):
        path = key.replace("/", ".").replace("[*]", "").strip(".")
        raw = _raw_at(properties, path)
        value = template.get(properties, path)
        if result.line is None:
            result.line = line_of(raw)
        if path.rsplit(".", 1)[-1].lower() in KMS_KEY_ATTRIBUTES and raw is not None:
            cmk, description = template.kms_key(raw)
            {True: observed, False: failures, None: unknowns}[cmk].append(f"{path}: {description}")
        elif isinstance(value, ResourceRef):
            unknowns.append(f"{path} is {value}, whose value is known only after deployment")
        elif isinstance(value, Unresolved):
            unknowns.append(f"{path}: {value.reason}")
        else:
            observed.append(f"{path} = {short(value) if value is not None else 'absent'}")
    if failures or (result.status == "failed" and not unknowns):
        result.status = "failed"
        result.message = f"expected: {policy.title}; observed {', '.join(failures + observed) or 'nothing'}"
    elif unknowns:
        result.status = "unresolved"
        result.reason = "; ".join(unknowns)
        result.message = f"expected: {policy.title}; could not be evaluated statically"
    else:
        result.message = f"expected: {policy.title}; observed {', '.join(observed) or 'nothing to judge'}"
    return result


def _raw_at(properties: Any, path: str) -> Any:
    current = properties
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current
