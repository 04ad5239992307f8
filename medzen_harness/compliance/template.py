"""A CloudFormation template loaded with cfn-lint's decoder, and static evaluation of its values.

`load_template(path)` decodes a file once per process (cached by path, size and mtime) so
the gate, its Python policies and the post-processing of Checkov's YAML policies all read
the same objects. `Template.resolve(value)` turns a property value into something a
policy can judge:

- literals stay literals; a `Ref` to a parameter becomes the parameter's `Default`;
- `Ref`/`Fn::GetAtt` to a resource of the template becomes a `ResourceRef`;
- `Fn::Sub` is expanded when every variable is a pseudo parameter (kept as `${AWS::Region}`)
  or a parameter with a default;
- anything else (`Fn::ImportValue`, `Fn::If`, `Fn::Join` over unknowns, a parameter
  without default ...) becomes `Unresolved(reason)` — never a silent pass.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from medzen_harness.errors import HarnessError

PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
})
KMS_KEY_TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::Alias", "AWS::KMS::ReplicaKey"})
KMS_KEY_ATTRIBUTES = frozenset({"kmskeyid", "kmsmasterkeyid", "kmskeyarn"})
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Unresolved:
    """A value the gate cannot evaluate without deploying; `reason` says why."""

    reason: str


@dataclass(frozen=True)
class ResourceRef:
    """`Ref` / `Fn::GetAtt` to a resource defined in the same template."""

    logical_id: str
    resource_type: str
    attribute: str = ""

    def __str__(self) -> str:
        suffix = f".{self.attribute}" if self.attribute else ""
        return f"{self.logical_id}{suffix} ({self.resource_type} in this template)"


def intrinsic_name(value: Any) -> str | None:
    """`Ref`, `Fn::GetAtt`, ... when `value` is an intrinsic function call, else None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value.keys()
        if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
            return str(key)
    return None


def short(value: Any, limit: int = 80) -> str:
    """A value as it reads in the template (for messages)."""
    text = repr(_plain(value)) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value: Any) -> Any:
    """cfn-lint's node types (dict_node, str_node) as plain Python, for printing."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def line_of(value: Any) -> int | None:
    """1-based line of a decoded node (cfn-lint keeps marks on dicts, lists and strings)."""
    mark = getattr(value, "start_mark", None)
    return mark.line + 1 if mark is not None else None


@dataclass
class Template:
    path: Path
    data: dict[str, Any]
    text: str
    sha256: str
    lines: list[str] = field(default_factory=list)

    @property
    def resources(self) -> dict[str, Any]:
        resources = self.data.get("Resources")
        return resources if isinstance(resources, dict) else {}

    @property
    def parameters(self) -> dict[str, Any]:
        parameters = self.data.get("Parameters")
        return parameters if isinstance(parameters, dict) else {}

    def resource_type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        return props if isinstance(props, dict) else {}

    def tags(self, logical_id: str) -> dict[str, Any]:
        """A resource's tags as {key: resolved value} (list-of-Key/Value or map form)."""
        raw = self.properties(logical_id).get("Tags")
        if isinstance(raw, list):
            return {str(t["Key"]): self.resolve(t.get("Value")) for t in raw if isinstance(t, dict) and "Key" in t}
        if isinstance(raw, dict):
            return {str(k): self.resolve(v) for k, v in raw.items()}
        return {}

    def holds_phi(self, logical_id: str) -> bool:
        """Tagged DataClassification=PHI (the architecture's marker for resources holding PHI)."""
        return str(self.tags(logical_id).get("DataClassification", "")).upper() == "PHI"

    def resource_lines(self, logical_id: str) -> tuple[int, int]:
        """First and last line (1-based) of a resource's block."""
        resource = self.resources.get(logical_id)
        start = line_of(resource) or 1
        end_mark = getattr(resource, "end_mark", None)
        end = end_mark.line if end_mark is not None else start
        key_line = next((line_of(k) for k in self.resources if k == logical_id), None)
        return (key_line or start, max(end, start))

    def excerpt(self, logical_id: str, max_lines: int = 80) -> str:
        start, end = self.resource_lines(logical_id)
        chunk = self.lines[start - 1 : min(end, start - 1 + max_lines)]
        return "".join(f"{start + i:5d}  {line}" for i, line in enumerate(chunk))

    # ---- static evaluation ---------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Evaluate `value` statically (see the module docstring)."""
        name = intrinsic_name(value)
        if name is None:
            return value
        argument = value[name]
        if name == "Ref":
            return self._resolve_ref(str(argument))
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else list(argument)
            if len(parts) == 2 and isinstance(parts[0], str) and parts[0] in self.resources:
                return ResourceRef(parts[0], str(self.resource_type(parts[0])), str(parts[1]))
            return Unresolved(f"Fn::GetAtt {short(argument)} does not name a resource of this template")
        if name == "Fn::Sub":
            return self._resolve_sub(argument)
        if name == "Fn::If":
            condition = argument[0] if isinstance(argument, list) and argument else argument
            return Unresolved(f"Fn::If depends on the condition {short(condition)}, known only at deploy time")
        return Unresolved(f"{name} {short(argument)} cannot be evaluated before deployment")

    def _resolve_ref(self, target: str) -> Any:
        if target in self.parameters:
            parameter = self.parameters[target]
            if isinstance(parameter, dict) and "Default" in parameter:
                return parameter["Default"]
            return Unresolved(f"Ref {target}: a parameter without a Default, known only at deploy time")
        if target in self.resources:
            return ResourceRef(target, str(self.resource_type(target)))
        if target in PSEUDO_PARAMETERS:
            return Unresolved(f"Ref {target}: a pseudo parameter, known only at deploy time")
        return Unresolved(f"Ref {target}: not a parameter or resource of this template")

    def _resolve_sub(self, argument: Any) -> Any:
        if isinstance(argument, list) and argument:
            text, variables = argument[0], (argument[1] if len(argument) > 1 else {})
        else:
            text, variables = argument, {}
        if not isinstance(text, str) or not isinstance(variables, dict):
            return Unresolved(f"Fn::Sub {short(argument)} is not a string")

        problems: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                resolved = self.resolve(variables[name])
            elif name in PSEUDO_PARAMETERS:
                return match.group(0)
            elif "." in name:
                resolved = self.resolve({"Fn::GetAtt": name})
            else:
                resolved = self._resolve_ref(name)
            if isinstance(resolved, (str, int, float)) and not isinstance(resolved, bool):
                return str(resolved)
            problems.append(resolved.reason if isinstance(resolved, Unresolved) else f"${{{name}}} is {resolved}")
            return match.group(0)

        expanded = _SUB_VARIABLE.sub(substitute, text)
        if problems:
            return Unresolved(f"Fn::Sub {short(text)}: " + "; ".join(problems))
        return expanded

    def get(self, properties: Any, dotted: str) -> Any:
        """The value at `A.B.C` of a properties dict, resolving intrinsics on the way.

        Returns None when absent, `Unresolved` when a step cannot be evaluated.
        """
        current = properties
        for part in dotted.split("."):
            current = self.resolve(current)
            if isinstance(current, (Unresolved, ResourceRef)):
                return current if isinstance(current, Unresolved) else Unresolved(f"{dotted} is {current}")
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return self.resolve(current)

    def kms_key(self, value: Any) -> tuple[bool | None, str]:
        """Is `value` (a KmsKeyId-like property) a customer-managed KMS key?

        (True, description) for a key/alias of this template, a key id/ARN or a custom alias;
        (False, why) for an `alias/aws/*` AWS-managed key; (None, reason) when unresolved.
        """
        if intrinsic_name(value) == "Fn::If" and isinstance(value["Fn::If"], list) and len(value["Fn::If"]) == 3:
            return self._kms_key_per_branch(value["Fn::If"])
        resolved = self.resolve(value)
        if isinstance(resolved, ResourceRef):
            if resolved.resource_type in KMS_KEY_TYPES:
                return True, f"customer-managed key {resolved}"
            return None, f"refers to {resolved}, which is not a KMS key"
        if isinstance(resolved, Unresolved):
            return None, resolved.reason
        if isinstance(resolved, str) and resolved.strip():
            if "alias/aws/" in resolved:
                return False, f"the AWS-managed key {resolved!r}"
            return True, f"customer-managed key {resolved!r}"
        return False, f"{short(resolved)!r}, which is not a KMS key"


    def _kms_key_per_branch(self, arguments: list[Any]) -> tuple[bool | None, str]:
        """`Fn::If [Cond, A, B]`: customer-managed only if both branches are (deploy modes)."""
        condition, branches = arguments[0], arguments[1:]
        verdicts = [self.kms_key(b) if b != {"Ref": "AWS::NoValue"} else (False, "no key (AWS::NoValue)")
                    for b in branches]
        text = " / ".join(d for _, d in verdicts)
        if any(v is False for v, _ in verdicts):
            return False, f"Fn::If {condition}: {text}"
        if all(v is True for v, _ in verdicts):
            return True, f"Fn::If {condition}: {text}"
        return None, f"Fn::If {condition}: {text}"


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_template(path: str | Path) -> Template:
    """Decode a CloudFormation template; `HarnessError` (exit 2) when it is not one."""
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise HarnessError(f"template {path} does not exist; pass an existing file or folder") from None
    except OSError as error:
        raise HarnessError(f"template {path} cannot be read ({error.strerror})") from None
    return _load_cached(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=512)
def _load_cached(path: str, _size: int, _mtime_ns: int) -> Template:
    from cfnlint.decode import decode

    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except PermissionError:
        raise HarnessError(f"template {path} cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise HarnessError(f"template {path} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise HarnessError(f"template {path} is not UTF-8 text; save it as UTF-8") from None
    if not text.strip():
        raise HarnessError(f"template {path} is empty; a CloudFormation template needs a Resources section")
    cfnlint_logger = logging.getLogger("cfnlint")
    previous = cfnlint_logger.level
    cfnlint_logger.setLevel(logging.CRITICAL)
    try:
        data, matches = decode(path)
    finally:
        cfnlint_logger.setLevel(previous)
    if matches:
        first = matches[0]
        where = f"line {first.linenumber}: " if getattr(first, "linenumber", None) else ""
        message = " ".join(str(first.message).split())
        raise HarnessError(f"template {path} cannot be parsed ({where}{message}); fix the YAML/JSON syntax")
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict) or not data["Resources"]:
        raise HarnessError(
            f"{path} is not a CloudFormation template (no Resources section); pass only templates"
        )
    return Template(path=Path(path), data=data, text=text, sha256=file_sha256(raw),
                    lines=text.splitlines(keepends=True))


def template_for_check(conf: dict[str, Any], entity_path: str) -> Template:
    """The template a Checkov check is looking at (from the scanned entity's file)."""
    file_name = None
    props = conf.get("Properties")
    if isinstance(props, dict):
        file_name = props.get("__file__")
    if not file_name:
        scanned_file = entity_path.split(":", 1)[0]
        file_name = scanned_file.lstrip("/") if not os.path.exists(scanned_file) else scanned_file
    return load_template(file_name)
