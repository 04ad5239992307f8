"""The embedded lab's regions as the latency run needs them (see backends.RegionBackends)."""

from __future__ import annotations

from typing import Any

from medzen_harness.errors import HarnessError


class LabRegions:
    ehr_label = "lab EHR API (PostgreSQL)"

    def __init__(self, config: dict[str, Any]):
        self.config = config

    def __enter__(self) -> LabRegions:
        raise HarnessError("the embedded lab is not available on this branch yet")

    def __exit__(self, *exc: object) -> None:
        return None
