"""The stack plan: which template goes to which region, in which order, with which
parameters and what each stack is expected to contain (config/parameters/medzen-stacks.yaml).

A parameter value is either a literal, `{output: STACK.OutputKey}` (an output of an earlier
stack — outputs are passed on in deploy order) or `{certificate: DOMAIN}` (the ACM
certificate for DOMAIN in the stack's region: requested from the emulated ACM on the
embedded target, looked up — never created — on a real account).

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
    body: str = ""
    template_dict: dict[str, Any] = field(default_factory=dict, repr=False)

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

    def stack(self, name: str) -> StackSpec:
        for spec in self.stacks:
            if spec.name == name:
                return spec
        raise HarnessError(f"stack '{name}' is not in the plan {self.path}")


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


def _check_parameters(spec: StackSpec, earlier: set[str]) -> None:
    declared = spec.template_dict.get("Parameters") or {}
    for key, value in spec.parameters.items():
        if key not in declared:
            raise HarnessError(f"stack {spec.name}: parameter '{key}' is not declared by {spec.template_label}; known: {', '.join(declared) or 'none'}")
        if isinstance(value, dict):
            if "output" in value:
                source = str(value["output"]).split(".", 1)[0]
                if source not in earlier:
                    raise HarnessError(f"stack {spec.name}: parameter '{key}' uses an output of '{source}', which is not deployed before it")
            elif "certificate" not in value:
                raise HarnessError(f"stack {spec.name}: parameter '{key}' must be a literal, {{output: STACK.Key}} or {{certificate: DOMAIN}}")
    missing = [k for k, v in declared.items() if "Default" not in (v or {}) and k not in spec.parameters]
    if missing:
        raise HarnessError(f"stack {spec.name}: required parameter(s) {', '.join(missing)} of {spec.template_label} have no value in the plan")


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
        if name in seen:
            raise HarnessError(f"stack plan {path}: stack name '{name}' appears twice")
        template = Path(entry["template"])
        if not template.is_absolute():
            template = REPO_ROOT / template  # plan paths are relative to the repository root
        spec = StackSpec(
            name=name,
            template=template,
            region=require_region(str(entry["region"]), f"region of stack {name}"),
            parameters=dict(entry.get("parameters") or {}),
            expect=dict(entry.get("expect") or {}),
        )
        spec.template_dict = parse_template(template)
        spec.body = template.read_text()
        _check_parameters(spec, seen)
        stacks.append(spec)
        seen.add(name)
    return StackPlan(path=path, stacks=stacks)
