"""AWS FIS: experiment templates (from the CloudFormation files in cloudformation/chaos/ or a
boto3-style spec), start, bounded wait, stop."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from medzen_harness.chaos.aws.polling import poll_until
from medzen_harness.errors import HarnessError

TERMINAL_STATES = ("completed", "stopped", "failed", "cancelled")
REQUIRED_SPEC_KEYS = ("description", "roleArn", "actions", "stopConditions")
CHAOS_TEMPLATES = Path(__file__).resolve().parents[3] / "cloudformation" / "chaos"


def create_experiment_template(fis: Any, spec: Mapping[str, Any]) -> str:
    """Create an experiment template from a boto3 `create_experiment_template` spec; its id."""
    missing = [key for key in REQUIRED_SPEC_KEYS if not spec.get(key)]
    if missing:
        raise HarnessError(f"FIS experiment spec lacks {', '.join(missing)}; "
                           "build it with experiment_spec_from_template() or add the keys")
    response = fis.create_experiment_template(clientToken=str(uuid.uuid4()), **spec)
    return str(response["experimentTemplate"]["id"])


def start_experiment(fis: Any, template_id: str, tags: Mapping[str, str] | None = None) -> str:
    """Start an experiment from a template; the experiment id."""
    response = fis.start_experiment(clientToken=str(uuid.uuid4()), experimentTemplateId=template_id,
                                    tags=dict(tags or {}))
    return str(response["experiment"]["id"])


def experiment_state(fis: Any, experiment_id: str) -> str:
    """pending | initiating | running | completed | stopping | stopped | failed | cancelled."""
    return str(fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"])


def wait_experiment(fis: Any, experiment_id: str, timeout_seconds: float, poll_seconds: float = 5.0,
                    until: Collection[str] = TERMINAL_STATES, stop_on_timeout: bool = True) -> str:
    """Poll until the experiment is in one of `until` (default: finished) or finished anyway;
    the state. On timeout the experiment is stopped (unless `stop_on_timeout=False`) and a
    HarnessError raised: a fault never outlives its drill."""
    wanted = set(until) | set(TERMINAL_STATES)
    try:
        state, _ = poll_until(lambda: experiment_state(fis, experiment_id), lambda s: s in wanted,
                              timeout_seconds, poll_seconds, f"FIS experiment {experiment_id} in {sorted(until)}")
    except HarnessError:
        if stop_on_timeout:
            stop_experiment(fis, experiment_id)
        raise
    return state


def stop_experiment(fis: Any, experiment_id: str) -> str:
    """Stop a running experiment (a finished one is left as it is); its state after the call."""
    return str(fis.stop_experiment(id=experiment_id)["experiment"]["state"]["status"])


# ---------------------------------------------------------------- CloudFormation -> API spec

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def _resolve(value: Any, names: Mapping[str, str]) -> Any:
    """Resolve Ref / Fn::Sub / Fn::GetAtt from `names` (parameters, pseudo parameters,
    logical ids, 'Logical.Attribute')."""
    if isinstance(value, list):
        return [_resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return _lookup(names, value["Ref"])
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        return _lookup(names, ".".join(target) if isinstance(target, list) else target)
    if set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        if not isinstance(text, str):
            raise HarnessError("FIS template: only the one-argument form of Fn::Sub is supported")
        return _SUB_VARIABLE.sub(lambda m: _lookup(names, m.group(1)), text)
    intrinsic = [key for key in value if key.startswith("Fn::")]
    if intrinsic:
        raise HarnessError(f"FIS template: {intrinsic[0]} is not supported here; use Ref, Fn::Sub or Fn::GetAtt")
    return {key: _resolve(item, names) for key, item in value.items()}


def _lookup(names: Mapping[str, str], name: str) -> str:
    if name not in names:
        raise HarnessError(f"FIS template refers to '{name}': pass it in `values` "
                           "(stack outputs, e.g. {'FisRole.Arn': ..., 'GuardrailAlarm.Arn': ...})")
    return names[name]


def _camel(key: str) -> str:
    return key[0].lower() + key[1:]


def _target_spec(target: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key, value in target.items():
        if key == "Filters":
            value = [{"path": f["Path"], "values": f["Values"]} for f in value]
        spec[_camel(key)] = value  # ResourceTags / Parameters keep their user keys
    return spec


def experiment_spec_from_template(template_path: Path | str, values: Mapping[str, str],
                                  logical_id: str = "ExperimentTemplate") -> dict[str, Any]:
    """The boto3 `create_experiment_template` spec of an AWS::FIS::ExperimentTemplate in a
    CloudFormation file. `values` supplies what the template refers to: AWS::Region,
    AWS::AccountId, parameters without defaults, and the role/alarm ('FisRole.Arn',
    'GuardrailAlarm.Arn'). Lets tests and the embedded AWS use the very templates deployed on AWS."""
    template, matches = decode(str(template_path))
    if template is None:
        raise HarnessError(f"{template_path}: not a readable CloudFormation template ({matches[0] if matches else ''})")
    resource = template.get("Resources", {}).get(logical_id)
    if not resource or resource.get("Type") != "AWS::FIS::ExperimentTemplate":
        raise HarnessError(f"{template_path}: no AWS::FIS::ExperimentTemplate named {logical_id}")
    names = {"AWS::Partition": "aws"}
    names.update({name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p})
    names.update(values)
    props = _resolve(resource["Properties"], names)
    spec: dict[str, Any] = {
        "description": props["Description"],
        "roleArn": props["RoleArn"],
        "stopConditions": [{"source": s["Source"], **({"value": s["Value"]} if "Value" in s else {})}
                           for s in props["StopConditions"]],
        "targets": {name: _target_spec(t) for name, t in props.get("Targets", {}).items()},
        "actions": {name: {_camel(k): v for k, v in action.items()} for name, action in props["Actions"].items()},
        "tags": dict(props.get("Tags", {})),
    }
    if "ExperimentOptions" in props:
        spec["experimentOptions"] = {_camel(k): v for k, v in props["ExperimentOptions"].items()}
    return spec
