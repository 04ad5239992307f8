"""The harness configuration: `config/medzen.yaml` (architecture defaults) merged with an
optional override file. Unknown keys are rejected so that a typo cannot silently fall
back to a default during an audit run."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError

DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "medzen.yaml"
KNOWN_REGIONS = ("af-south-1", "eu-west-1", "us-east-1")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as error:
        raise HarnessError(f"config file {path} not found; pass an existing file with --config") from error
    except yaml.YAMLError as error:
        raise HarnessError(f"config file {path} is not valid YAML ({error}); fix the syntax") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HarnessError(f"config file {path} must be a mapping of sections, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            known = ", ".join(sorted(base)) or "none"
            raise HarnessError(f"unknown config key '{where}{key}' (known here: {known})")
        if isinstance(base[key], dict) and base[key] and isinstance(value, dict):
            merged[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Defaults merged with `path` (or $MEDZEN_CONFIG when `path` is None)."""
    config = _read_yaml(DEFAULT_CONFIG_PATH)
    override_path = path or os.environ.get("MEDZEN_CONFIG")
    if override_path:
        config = _merge(config, _read_yaml(Path(override_path)), "")
    validate(config)
    return config


def validate(config: dict[str, Any]) -> None:
    targets = config["targets"]
    for key in ("rto_seconds", "rpo_seconds", "latency_ms"):
        if not isinstance(targets[key], (int, float)) or targets[key] <= 0:
            raise HarnessError(f"config targets.{key} must be a positive number, got {targets[key]!r}")
    if config["aws"]["target"] not in ("embedded", "aws"):
        raise HarnessError(f"config aws.target must be 'embedded' or 'aws', got {config['aws']['target']!r}")
    for role in ("primary", "dr", "backup"):
        require_region(config["regions"][role], f"regions.{role}")


def require_region(region: str, what: str = "region") -> str:
    """Reject a region the architecture does not use, with the list of valid ones."""
    if region not in KNOWN_REGIONS:
        raise HarnessError(f"unknown {what} '{region}'; use one of {', '.join(KNOWN_REGIONS)}")
    return region
