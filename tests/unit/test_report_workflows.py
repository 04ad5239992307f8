"""The CI examples stay wired to the report: schedule/dispatch, history carried, SARIF uploaded."""

import yaml

from medzen_harness import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def _steps(data: dict) -> list[dict]:
    (job,) = data["jobs"].values()
    return job["steps"]


def test_nightly_runs_on_schedule_and_carries_history():
    data = _load("nightly.yml")
    assert data["on"]["schedule"][0]["cron"] and "workflow_dispatch" in data["on"]
    steps = _steps(data)
    runs = [s.get("run", "") for s in steps]
    assert any(r.strip() == "./dev nightly" for r in runs)
    uses = {s.get("uses", "").split("@")[0]: s for s in steps if "uses" in s}
    assert uses["actions/cache/restore"]["with"]["path"] == "reports/history"
    assert uses["actions/cache/save"]["with"]["path"] == "reports/history"
    assert uses["actions/cache/save"]["if"].startswith("always()")
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert any(s["with"]["path"] == "reports/latest/" and s["if"] == "always()" for s in uploads)
    # restore before the drill, save after it
    names = [s.get("uses", s.get("run", "")) for s in steps]
    order = [i for i, n in enumerate(names) if "cache/restore" in n or n.strip() == "./dev nightly" or "cache/save" in n]
    assert len(order) == 3 and order == sorted(order)


def test_gate_runs_on_pull_requests_and_release_tags_and_uploads_sarif():
    data = _load("gate.yml")
    assert "pull_request" in data["on"] and data["on"]["push"]["tags"] == ["v*"]
    assert data["permissions"]["security-events"] == "write"
    steps = _steps(data)
    assert any(s.get("run", "").strip() == "./dev gate" for s in steps)
    sarif = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert sarif["with"]["sarif_file"] == "reports/gate.sarif" and "always()" in sarif["if"]
    assert any("medzen-harness report" in s.get("run", "") for s in steps)
    assert any(s.get("uses", "").startswith("actions/upload-artifact") and "reports/latest/" in s["with"]["path"]
               for s in steps)
