"""The embedded regional lab: PostgreSQL primary/standby, EHR API stand-ins, HAProxy, fault proxy.

Public API: `Lab` and `Endpoint` (see client.py). Imported lazily so that the EHR API
processes (`python -m medzen_harness.lab.ehr_api`) start without loading the rest.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Endpoint", "Lab", "default_run_dir"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from medzen_harness.lab import client

        return getattr(client, name)
    raise AttributeError(name)
