"""What a fault is: data (name, summary, parameters, expected effect, AWS mechanism) plus a
uniform inject/heal interface with one implementation per target (lab, aws)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medzen_harness.errors import HarnessError

TARGETS = ("lab", "aws")


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    default: float
    unit: str = ""


class Injection:
    """One fault on one target and region. `inject()` puts it in place (returns once it is in
    effect), `heal()` removes it (idempotent), `observe(seconds)` measures its effect for faults
    that do not lead to a failover."""

    def __init__(self, target: Any, region: str, params: dict[str, float], config: dict[str, Any]):
        self.target = target
        self.region = region
        self.params = params
        self.config = config

    def inject(self) -> None:
        raise NotImplementedError

    def heal(self) -> None:
        """Default: nothing to undo (the lab's restore rebuilds what the fault destroyed)."""

    def observe(self, seconds: float) -> dict[str, Any]:
        time.sleep(seconds)
        return {}


# judge(observations, writes, targets) -> (verdict, reasons, rto/rpo fields for the JSON)
Judge = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], tuple[str, list[str], dict[str, Any]]]


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    expected_effect: str
    aws_mechanism: str
    failover: bool  # the runbook (detection, traffic, promote, scale) follows when it hits the primary
    lab: type[Injection]
    aws: type[Injection]
    parameters: tuple[Parameter, ...] = ()
    measured: str = "RTO and RPO of the failover"
    judge: Judge | None = field(default=None, compare=False)

    def implementation(self, target: str) -> type[Injection]:
        if target not in TARGETS:
            raise HarnessError(f"unknown target '{target}'; use one of {', '.join(TARGETS)}")
        return self.lab if target == "lab" else self.aws

    def resolve_parameters(self, given: dict[str, str | float] | None = None) -> dict[str, float]:
        """Defaults overridden by `given` (strings like '200' or '1.5s' accepted)."""
        known = {p.name: p for p in self.parameters}
        values = {p.name: float(p.default) for p in self.parameters}
        for key, value in (given or {}).items():
            if key not in known:
                valid = ", ".join(known) or "none"
                raise HarnessError(f"fault '{self.name}' has no parameter '{key}' (its parameters: {valid})")
            values[key] = parse_number(value, f"parameter {key} of fault {self.name}")
        return values


def parse_number(value: str | float, what: str) -> float:
    """'1.5', '1.5s', '1500ms' → seconds or plain number (a unit suffix s/ms is understood)."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().lower()
    scale = 1.0
    if text.endswith("ms"):
        text, scale = text[:-2], 0.001
    elif text.endswith("s"):
        text = text[:-1]
    try:
        number = float(text) * scale
    except ValueError:
        raise HarnessError(f"{what} must be a number (e.g. 1.5 or 1.5s), got {value!r}") from None
    if number < 0:
        raise HarnessError(f"{what} must be >= 0, got {value!r}")
    return number
