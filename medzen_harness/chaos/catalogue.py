"""The fault catalogue: every module in this package that defines `FAULT` is a fault."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from medzen_harness import chaos
from medzen_harness.chaos.base import Fault
from medzen_harness.errors import HarnessError


@cache
def faults() -> dict[str, Fault]:
    found: dict[str, Fault] = {}
    for module in pkgutil.iter_modules(chaos.__path__):
        if module.ispkg or module.name in ("base", "catalogue"):
            continue
        fault = getattr(importlib.import_module(f"{chaos.__name__}.{module.name}"), "FAULT", None)
        if isinstance(fault, Fault):
            found[fault.name] = fault
    return dict(sorted(found.items()))


def fault_names() -> list[str]:
    return list(faults())


def get_fault(name: str) -> Fault:
    catalogue = faults()
    if name not in catalogue:
        raise HarnessError(f"unknown fault '{name}'; valid faults: {', '.join(catalogue)}")
    return catalogue[name]


def markdown_table() -> str:
    """The README fault table (between `<!-- BEGIN generated:faults -->` markers)."""
    rows = ["| fault | what happens | parameters | expected effect | measured | AWS mechanism |",
            "|---|---|---|---|---|---|"]
    for fault in faults().values():
        parameters = "<br>".join(f"`{p.name}` = {p.default:g}{p.unit} — {p.description}" for p in fault.parameters)
        rows.append(f"| `{fault.name}` | {fault.summary} | {parameters or '—'} | {fault.expected_effect} | "
                    f"{fault.measured} | {fault.aws_mechanism} |")
    return "\n".join(rows) + "\n"
