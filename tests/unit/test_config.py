from pathlib import Path

import pytest

from medzen_harness.config import load_config, require_region
from medzen_harness.errors import HarnessError


def test_defaults_are_the_architecture_targets():
    config = load_config()
    assert config["targets"]["rto_seconds"] == 900
    assert config["targets"]["rpo_seconds"] == 300
    assert config["targets"]["latency_ms"] == 150
    assert config["regions"] == {"primary": "af-south-1", "dr": "eu-west-1", "backup": "us-east-1"}
    assert config["aws"]["target"] == "embedded"


def test_override_merges_key_by_key(tmp_path: Path):
    override = tmp_path / "site.yaml"
    override.write_text("targets:\n  rto_seconds: 60\n")
    config = load_config(override)
    assert config["targets"]["rto_seconds"] == 60
    assert config["targets"]["rpo_seconds"] == 300


@pytest.mark.parametrize(
    "text, message",
    [
        ("targets:\n  rto_secnds: 60\n", "unknown config key 'targets.rto_secnds'"),
        ("targets: [1, 2\n", "not valid YAML"),
        ("aws:\n  target: cloud\n", "aws.target must be"),
        ("targets:\n  rpo_seconds: -1\n", "rpo_seconds must be a positive number"),
        ("regions:\n  dr: eu-west-9\n", "unknown regions.dr 'eu-west-9'"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str):
    override = tmp_path / "bad.yaml"
    override.write_text(text)
    with pytest.raises(HarnessError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config(override)


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(HarnessError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_unknown_region():
    with pytest.raises(HarnessError, match="use one of af-south-1, eu-west-1, us-east-1"):
        require_region("mars-1")
