"""The stack plan: which template goes to which region, in which order, with which
parameters and what each stack is expected to contain (config/parameters/medzen-stacks.yaml).

A stack is identified by `name@region` (the same name is used in several regions). A
parameter value is a literal, `{output: NAME@REGION.OutputKey}` (an output of an earlier
stack — outputs are passed on in deploy order), `{certificate: DOMAIN}` (the ACM certificate
for DOMAIN in the stack's region: requested from the emulated ACM on the embedded target,
looked up — never created — on a real account) or `{target: {embedded: V, aws: V}}` (a value
per target, V again any of these forms). `not_on_embedded: GAP_ID` skips a step on the
embedded target because of a declared emulator gap (reported as a skipped step). An entry with `redeploy: true` deploys an already
deployed stack again with outputs of later stacks (e.g. the global stack's failover
endpoints = the regional load balancers) — an update through a change set.

Everything is validated before anything is deployed: a missing or unparsable template, an
unknown region, a parameter the template does not declare, a required parameter without a
value or an output reference to a later stack is one readable error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfnlint.decode
import yaml

from medzen_harness import REPO_ROOT
from medzen_harness.aws.emulator import GAPS_BY_ID
from medzen_harness.config import require_region
from medzen_harness.errors import HarnessError

DEFAULT_PLAN_PATH = REPO_ROOT / "config" / "parameters" / "medzen-stacks.yaml"


@dataclass
class StackSpec:
    name: str
    template: Path
    region: str
    parameters: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    redeploy: bool = False
    not_on_embedded: str = ""  # id of the emulator gap that makes this step impossible there
    body: str = ""
    template_dict: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.region}"

    @property
    def template_label(self) -> str:
        try:
            return str(self.template.relative_to(REPO_ROOT))
        except ValueError:
            return str(self.template)


@dataclass
class StackPlan:
    path: Path
    stacks: list[StackSpec]

    @property
    def regions(self) -> list[str]:
        return sorted({s.region for s in self.stacks})

    @property
    def unique_stacks(self) -> list[StackSpec]:
        """Each stack once (its first entry), in deploy order."""
        return [s for s in self.stacks if not s.redeploy]

    def stack(self, stack_id: str) -> StackSpec:
        for spec in self.unique_stacks:
            if spec.id == stack_id:
                return spec
        raise HarnessError(f"stack '{stack_id}' is not in the plan {self.path} (use NAME@REGION)")


def parse_template(path: Path) -> dict[str, Any]:
    """The template as a dict (cfn-lint's decoder understands the short `!Ref` tags)."""
    if not path.is_file():
        raise HarnessError(f"template {path} not found; fix the path in the stack plan")
    template, problems = cfnlint.decode.decode(str(path))
    if template is None or problems:
        detail = "; ".join(str(p.message) for p in problems) if problems else "empty"
        raise HarnessError(f"template {path} cannot be parsed ({detail}); fix the YAML/JSON")
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        raise HarnessError(f"template {path} has no Resources section; is it a CloudFormation template?")
    return template


def _check_value(spec: StackSpec, key: str, value: Any, earlier: set[str]) -> None:
    if not isinstance(value, dict):
        return
    if "output" in value:
        source = str(value["output"]).rsplit(".", 1)[0]
        if source not in earlier:
            raise HarnessError(f"stack {spec.id}: parameter '{key}' uses an output of '{source}', which is not deployed before it (use NAME@REGION.OutputKey)")
    elif "target" in value and isinstance(value["target"], dict):
        for sub in value["target"].values():
            _check_value(spec, key, sub, earlier)
    elif "certificate" not in value:
        raise HarnessError(f"stack {spec.id}: parameter '{key}' must be a literal, {{output: NAME@REGION.Key}}, {{certificate: DOMAIN}} or {{target: {{embedded: V, aws: V}}}}")


def _check_parameters(spec: StackSpec, earlier: set[str]) -> None:
    declared = spec.template_dict.get("Parameters") or {}
    for key, value in spec.parameters.items():
        if key not in declared:
            raise HarnessError(f"stack {spec.id}: parameter '{key}' is not declared by {spec.template_label}; known: {', '.join(declared) or 'none'}")
        _check_value(spec, key, value, earlier)
    missing = [k for k, v in declared.items() if "Default" not in (v or {}) and k not in spec.parameters]
    if missing:
        raise HarnessError(f"stack {spec.id}: required parameter(s) {', '.join(missing)} of {spec.template_label} have no value in the plan")


def load_plan(path: str | Path | None = None) -> StackPlan:
    path = Path(path) if path else DEFAULT_PLAN_PATH
    if not path.is_absolute():
        path = REPO_ROOT / path
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as error:
        raise HarnessError(f"stack plan {path} not found; pass an existing file (aws.stack_plan or --plan)") from error
    except yaml.YAMLError as error:
        raise HarnessError(f"stack plan {path} is not valid YAML ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("stacks"), list) or not data["stacks"]:
        raise HarnessError(f"stack plan {path} must have a non-empty 'stacks:' list")
    stacks: list[StackSpec] = []
    seen: set[str] = set()
    for entry in data["stacks"]:
        if not isinstance(entry, dict) or not {"name", "template", "region"} <= set(entry):
            raise HarnessError(f"stack plan {path}: every stack needs name, template and region (got {entry!r})")
        name = str(entry["name"])
        template = Path(entry["template"])
        if not template.is_absolute():
            template = REPO_ROOT / template  # plan paths are relative to the repository root
        spec = StackSpec(
            name=name,
            template=template,
            region=require_region(str(entry["region"]), f"region of stack {name}"),
            parameters=dict(entry.get("parameters") or {}),
            expect=dict(entry.get("expect") or {}),
            redeploy=bool(entry.get("redeploy", False)),
            not_on_embedded=str(entry.get("not_on_embedded") or ""),
        )
        if spec.not_on_embedded and spec.not_on_embedded not in GAPS_BY_ID:
            raise HarnessError(f"stack plan {path}: not_on_embedded '{spec.not_on_embedded}' is not a declared emulator gap")
        if spec.redeploy and spec.id not in seen:
            raise HarnessError(f"stack plan {path}: '{spec.id}' has redeploy: true but is not deployed earlier")
        if spec.redeploy:  # what the stack must contain is judged once, on the stack
            next(s for s in stacks if s.id == spec.id and not s.redeploy).expect.update(spec.expect)
        if not spec.redeploy and spec.id in seen:
            raise HarnessError(f"stack plan {path}: stack '{spec.id}' appears twice (mark the second entry redeploy: true)")
        spec.template_dict = parse_template(template)
        spec.body = template.read_text()
        _check_parameters(spec, seen)
        stacks.append(spec)
        seen.add(spec.id)
    return StackPlan(path=path, stacks=stacks)


def condition_holds(template: dict[str, Any], name: str, parameters: dict[str, str]) -> bool | None:
    """Evaluate a template condition (Fn::Equals/Not/And/Or/Condition over parameters);
    None when it uses something this small evaluator does not know."""
    conditions = template.get("Conditions") or {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            ref = node["Ref"]
            if ref in parameters:
                return parameters[ref]
            default = ((template.get("Parameters") or {}).get(ref) or {}).get("Default")
            if default is None:
                raise LookupError(ref)
            return str(default)
        if isinstance(node, (str, int, float, bool)):
            return str(node)
        raise LookupError(str(node))

    def holds(node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (fn, args), = node.items()
            if fn == "Fn::Equals":
                return value(args[0]) == value(args[1])
            if fn == "Fn::Not":
                return not holds(args[0])
            if fn == "Fn::And":
                return all(holds(a) for a in args)
            if fn == "Fn::Or":
                return any(holds(a) for a in args)
            if fn == "Condition":
                return holds(conditions[args])
        raise LookupError(str(node))

    try:
        return holds(conditions[name])
    except (LookupError, TypeError, IndexError):
        return None
