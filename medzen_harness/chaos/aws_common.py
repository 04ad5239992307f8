"""Shared AWS implementations of faults: FIS experiments and RDS actions through the cloud
helpers in `medzen_harness.chaos.aws` (plain boto3 functions)."""

from __future__ import annotations

import importlib
from typing import Any

from medzen_harness.chaos.base import Injection
from medzen_harness.errors import HarnessError


def aws_module(name: str) -> Any:
    try:
        return importlib.import_module(f"medzen_harness.chaos.aws.{name}")
    except ImportError as error:
        raise HarnessError(f"the AWS fault implementation needs medzen_harness.chaos.aws.{name}: {error}") from error


class FisExperiment(Injection):
    """Start the fault's FIS experiment template (id from config drill.aws.fis_templates) and
    wait until it runs; heal stops it. CloudWatch-alarm stop conditions are in the template."""

    fault_name = ""

    def _template_id(self) -> str:
        templates = self.config["drill"]["aws"].get("fis_templates") or {}
        template_id = templates.get(self.fault_name)
        if not template_id:
            raise HarnessError(f"no FIS experiment template for '{self.fault_name}': set "
                               f"drill.aws.fis_templates.{self.fault_name} (deploy cloudformation/chaos first)")
        return str(template_id)

    def inject(self) -> None:
        fis = aws_module("fis")
        client = self.target.client("fis", self.region)
        self.experiment_id = fis.start_experiment(client, self._template_id())
        fis.wait_experiment(client, self.experiment_id, timeout_seconds=300, poll_seconds=1.0, until=("running",))

    def heal(self) -> None:
        experiment_id = getattr(self, "experiment_id", None)
        if experiment_id:
            aws_module("fis").stop_experiment(self.target.client("fis", self.region), experiment_id)
            self.experiment_id = None


class NotOnAws(Injection):
    reason = "not available on AWS"

    def inject(self) -> None:
        raise HarnessError(self.reason)
