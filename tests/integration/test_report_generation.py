"""End to end: real Allure 3 (npm, tools/node_modules) over real Allure results."""

import hashlib
from pathlib import Path

import pytest

from medzen_harness import REPO_ROOT
from medzen_harness.evidence.report import HISTORY_FILE, embedded_report_data, external_loads, generate_report
from medzen_harness.evidence.samples import KMS, write_sample_results


def _test_results(data: dict) -> dict[str, dict]:
    """Report test results by name."""
    return {v["name"]: v for k, v in data.items() if k.startswith("data/test-results/")}


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory):
    """Two nightly reports into one reports root: night 1 meets the RTO, night 2 misses it."""
    root = tmp_path_factory.mktemp("reports")
    first_results = tmp_path_factory.mktemp("night1")
    second_results = tmp_path_factory.mktemp("night2")
    first = write_sample_results(first_results, policies=4, run=1, rto_seconds=1.2)
    first_index = generate_report(first_results, root, name="MedZen nightly test")
    second = write_sample_results(second_results, policies=4, run=2, rto_seconds=1234.0)
    second_index = generate_report(second_results, root, name="MedZen nightly test",
                                   environment={"pipeline": "unit-test"})
    return root, (first, first_index), (second, second_index)


def test_report_lands_in_a_dated_folder_and_latest(two_nights):
    root, (_, first_index), (_, second_index) = two_nights
    assert first_index.parent.parent == root and second_index.parent.parent == root
    assert first_index.parent != second_index.parent
    assert first_index.parent.name.endswith("Z") and first_index.parent.name[:4].isdigit()
    latest = root / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert (latest / "index.html").read_bytes() == second_index.read_bytes()
    assert (latest / "hipaa-index.html").is_file()
    assert not list(root.glob(".latest-*"))


def test_report_is_single_file_with_analytics_stripped(two_nights):
    _, _, (_, index) = two_nights
    page = index.read_text()
    assert "googletagmanager" not in page and "gtag(" not in page
    assert external_loads(page) == []
    assert sorted(p.name for p in index.parent.iterdir() if p.is_dir()) == []  # nothing beside it to load


def test_report_totals_match_the_results(two_nights):
    _, _, (sample, index) = two_nights
    statistic = embedded_report_data(index.read_text())["widgets/statistic.json"]
    assert statistic["total"] == sum(sample.statuses.values())
    for status, count in sample.statuses.items():
        assert statistic[status] == count, status


def test_categories_are_applied(two_nights):
    _, _, (sample, index) = two_nights
    results = _test_results(embedded_report_data(index.read_text()))
    for name, expected in sample.categories.items():
        names = [c["name"] for c in results[name].get("categories") or []]
        if expected is None:
            assert not set(names) & {"Policy violation", "Target missed", "Not emulated", "Harness error"}, name
        else:
            assert names == [expected], name


def test_failures_carry_readable_messages(two_nights):
    _, _, (_, index) = two_nights
    results = _test_results(embedded_report_data(index.read_text()))
    drill = results["Region outage of af-south-1: RTO and RPO"]
    assert drill["status"] == "failed"
    assert drill["error"]["message"] == "RTO 1234.0 s missed the target 900 s"
    policy = results["MZ-KMS-001 KMS encryption on RecordingsBucket1"]
    assert "expected BucketEncryption with SSEAlgorithm aws:kms, observed AES256" in policy["error"]["message"]
    assert [a["link"]["name"] for a in policy["attachments"]] == ["template excerpt"]


def test_environment_is_shown(two_nights):
    _, _, (_, index) = two_nights
    variables = embedded_report_data(index.read_text())["widgets/variables.json"]
    assert variables["pipeline"] == "unit-test"
    assert variables["target RTO"] == "900 s" and variables["target RPO"] == "300 s"
    assert variables["target"].startswith("embedded lab")
    for tool in ("checkov", "cfn-lint", "moto", "postgres", "haproxy", "locust", "python"):
        assert variables[f"tool {tool}"] not in ("", None), tool
    assert variables["git commit"]
    for template in sorted((REPO_ROOT / "cloudformation").rglob("*.yaml")):
        key = f"template {template.relative_to(REPO_ROOT / 'cloudformation')} sha256"
        assert variables[key] == hashlib.sha256(template.read_bytes()).hexdigest()


def test_second_run_shows_history_and_metric_trends(two_nights):
    root, (_, first_index), (_, second_index) = two_nights
    history_lines = (root / HISTORY_FILE).read_text().splitlines()
    assert len(history_lines) == 2
    first = embedded_report_data(first_index.read_text())
    second = embedded_report_data(second_index.read_text())
    dynamics = lambda data: next(c for c in data["widgets/charts.json"]["general"].values()  # noqa: E731
                                 if c["type"] == "statusDynamics")["data"]
    assert len(dynamics(first)) == 1 and len(dynamics(second)) == 2
    drill = _test_results(second)["Region outage of af-south-1: RTO and RPO"]
    assert [h["status"] for h in drill["history"]] == ["passed"]  # last night it met the target
    assert drill["transition"] == "regressed"
    metrics = second["widgets/metrics.json"]
    current = {m["key"]: m["value"] for m in metrics["current"]}
    assert current["rto_seconds[region-outage@af-south-1]"] == 1234.0
    assert [h["metrics"]["rto_seconds[region-outage@af-south-1]"] for h in metrics["history"]] == [1.2]


def test_hipaa_index_is_reachable_from_the_report(two_nights):
    _, _, (sample, index) = two_nights
    data = embedded_report_data(index.read_text())
    attachments = data["widgets/globals.json"]["attachments"]
    assert [a["name"] for a in attachments] == ["hipaa-index.html"] and not attachments[0]["missed"]
    page = (index.parent / "hipaa-index.html").read_text()
    for control, tests in sample.controls.items():
        assert control in page
        for test in tests:
            assert test in page
    assert f"{KMS}</a></td><td>Encryption and decryption (at rest)</td><td class='failed'>VIOLATED" in page


def test_history_off_writes_no_history(tmp_path: Path):
    write_sample_results(tmp_path / "results", policies=2)
    generate_report(tmp_path / "results", tmp_path / "reports", history=False)
    assert not (tmp_path / "reports" / HISTORY_FILE).exists()
