"""The report's environment block: what was tested, with what, against which targets.

Shown on the report's overview (Allure 3 "Variables"): git commit, sha256 of every
CloudFormation template, tool versions, the target (embedded lab, or AWS account ids and
regions) and the RTO/RPO/latency targets from the configuration.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.config import load_config

PYTHON_TOOLS = ("checkov", "cfn-lint", "moto", "locust", "boto3", "allure-python-commons")
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin/postgres")
ALLURE_PACKAGE_JSON = REPO_ROOT / "tools" / "node_modules" / "allure" / "package.json"


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else "not installed"


def git_commit(repo: Path = REPO_ROOT) -> str:
    commit = _first_line(["git", "-C", str(repo), "rev-parse", "HEAD"])
    if commit == "not installed":
        return "unknown (not a git checkout)"
    dirty = _first_line(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"])
    return commit if dirty == "not installed" else f"{commit} (with uncommitted changes)"


def template_hashes(templates_dir: Path = REPO_ROOT / "cloudformation") -> dict[str, str]:
    """sha256 of every template, keyed by its path relative to the templates folder."""
    paths = sorted(p for pattern in ("*.yaml", "*.yml", "*.json") for p in templates_dir.rglob(pattern))
    return {str(p.relative_to(templates_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in PYTHON_TOOLS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    postgres = _first_line([str(POSTGRES_BIN), "--version"])
    versions["postgres"] = postgres.removeprefix("postgres (PostgreSQL) ")
    haproxy = _first_line(["haproxy", "-v"])
    versions["haproxy"] = haproxy.removeprefix("HAProxy version ").split()[0]
    try:
        versions["allure"] = json.loads(ALLURE_PACKAGE_JSON.read_text())["version"]
    except (OSError, ValueError, KeyError):
        versions["allure"] = "not installed"
    return versions


def describe_target(config: dict[str, Any]) -> str:
    regions = config["regions"]
    region_list = f"{regions['primary']} (primary), {regions['dr']} (DR), {regions['backup']} (backup)"
    if config["aws"]["target"] == "embedded":
        return f"embedded lab on 127.0.0.1 (moto server, PostgreSQL, HAProxy) emulating {region_list}"
    accounts = ", ".join(str(a) for a in config["aws"]["allowed_account_ids"]) or "none allowed"
    return f"AWS account(s) {accounts}; regions {region_list}"


def collect_environment(config_path: str | Path | None = None) -> dict[str, str]:
    """Every environment entry of the report, as display name -> value (ordered for reading)."""
    config = load_config(config_path)
    targets = config["targets"]
    environment = {
        "git commit": git_commit(),
        "target": describe_target(config),
        "target RTO": f"{targets['rto_seconds']} s",
        "target RPO": f"{targets['rpo_seconds']} s",
        "target latency": f"p{targets['latency_percentile']} < {targets['latency_ms']} ms",
    }
    environment.update({f"tool {name}": version for name, version in tool_versions().items()})
    hashes = template_hashes()
    environment.update({f"template {name} sha256": digest for name, digest in hashes.items()})
    if not hashes:
        environment["templates"] = "no CloudFormation templates found"
    return environment
