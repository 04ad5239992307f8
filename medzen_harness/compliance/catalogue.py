"""The policy catalogue: `policies/<family>/<POLICY_ID>/metadata.yaml` + the check beside it.

`load_policies()` is the single source for the gate, the tests (one compliant and one
non-compliant fixture per policy), the deploy helper's live checks (same ids) and the
README table (`markdown_table()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from medzen_harness.errors import HarnessError

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
FAMILIES = ("kms", "retention", "tls")
SEVERITIES = ("critical", "high", "medium", "low")
REQUIRED_FIELDS = ("id", "title", "family", "severity", "hipaa", "resource_types", "risk",
                   "remediation", "references")


@dataclass(frozen=True)
class PolicyMeta:
    id: str
    title: str
    family: str
    severity: str
    hipaa: tuple[str, ...]
    resource_types: tuple[str, ...]
    risk: str
    remediation: str
    path: Path  # the policy's directory
    references: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """`python` (check.py) or `yaml` (policy.yaml)."""
        return "python" if (self.path / "check.py").exists() else "yaml"

    @property
    def check_file(self) -> Path:
        return self.path / ("check.py" if self.kind == "python" else "policy.yaml")

    def fixture(self, name: str) -> Path:
        return self.path / "fixtures" / f"{name}.yaml"


def _policy_from(metadata_file: Path) -> PolicyMeta:
    data = yaml.safe_load(metadata_file.read_text())
    if not isinstance(data, dict):
        raise HarnessError(f"{metadata_file} is not a mapping; see README 'How to add a policy'")
    missing = [name for name in REQUIRED_FIELDS if not data.get(name)]
    if missing:
        raise HarnessError(f"{metadata_file} lacks {', '.join(missing)}; see README 'How to add a policy'")
    policy_dir = metadata_file.parent
    if data["id"] != policy_dir.name or data["family"] != policy_dir.parent.name:
        raise HarnessError(f"{metadata_file}: id/family must match the folder policies/<family>/<id>/")
    if data["family"] not in FAMILIES or data["severity"] not in SEVERITIES:
        raise HarnessError(f"{metadata_file}: family must be one of {FAMILIES}, severity one of {SEVERITIES}")
    return PolicyMeta(
        id=data["id"], title=data["title"], family=data["family"], severity=data["severity"],
        hipaa=tuple(str(h) for h in data["hipaa"]), resource_types=tuple(data["resource_types"]),
        risk=" ".join(str(data["risk"]).split()), remediation=" ".join(str(data["remediation"]).split()),
        references=tuple(data["references"]), path=policy_dir,
    )


def load_policies(policies_dir: Path = POLICIES_DIR) -> list[PolicyMeta]:
    """Every policy of the catalogue, ordered by family then id."""
    policies = [_policy_from(f) for f in sorted(policies_dir.glob("*/*/metadata.yaml"))]
    order = {family: i for i, family in enumerate(FAMILIES)}
    return sorted(policies, key=lambda p: (order[p.family], p.id))


def policies_by_id(policies_dir: Path = POLICIES_DIR) -> dict[str, PolicyMeta]:
    return {p.id: p for p in load_policies(policies_dir)}


def markdown_table() -> str:
    """The README policy table (between `<!-- BEGIN generated:policies -->` markers)."""
    rows = ["| id | family | severity | HIPAA control | what it checks |", "|---|---|---|---|---|"]
    for policy in load_policies():
        what = policy.title.replace("|", "\\|")
        rows.append(f"| `{policy.id}` | {policy.family} | {policy.severity} | "
                    f"{', '.join(policy.hipaa)} | {what} |")
    return "\n".join(rows) + "\n"
