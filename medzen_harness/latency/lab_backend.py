"""The embedded lab's regions as the latency run needs them (see backends.RegionBackends).

Uses the lab of `medzen-harness lab up` when one is running (and leaves it running),
otherwise starts a private lab for the run and removes it afterwards. DR mode is the lab's
own `fail_region` (region outage, replica promoted, DR scaled) and `restore`.
"""

from __future__ import annotations

from typing import Any

from medzen_harness.errors import HarnessError
from medzen_harness.lab.client import Lab


class LabRegions:
    ehr_label = "lab EHR API (PostgreSQL)"

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.lab: Lab | None = None
        self._owned = False

    def __enter__(self) -> LabRegions:
        found = Lab.find()
        if found is not None:
            self.lab = found
        else:
            self.lab = Lab.up(self.config)
            self._owned = True
        primary = self.config["regions"]["primary"]
        if self.lab.primary_region != primary:
            if self._owned:
                self.lab.down()
            raise HarnessError(f"the running lab is in DR mode ({self.lab.primary_region} is primary); "
                               "restore it first (`medzen-harness lab down` and `lab up`)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.lab is not None and self._owned:
            self.lab.down()
        self.lab = None

    def _lab(self) -> Lab:
        if self.lab is None:
            raise HarnessError("the lab is not attached")
        return self.lab

    def ehr_address(self, region: str) -> tuple[str, int]:
        endpoint = self._lab().region_endpoint(region)
        return endpoint.host, endpoint.port

    def fail_region(self, region: str) -> None:
        self._lab().fail_region(region)

    def restore_region(self, region: str) -> None:
        self._lab().restore()
