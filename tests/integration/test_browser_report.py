"""The generated report in a real browser: headless Debian Chromium renders the totals of the
results, loads nothing remote, and the HIPAA index page renders. The screenshot is attached."""

import re
from collections import Counter
from pathlib import Path

import pytest

from medzen_harness.evidence.allure import attach_file, attach_text
from medzen_harness.evidence.browser import find_chromium, remote_requests, rendered_totals, run_chromium
from medzen_harness.evidence.report import embedded_report_data, generate_report
from medzen_harness.evidence.samples import KMS, write_sample_results

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (./dev bootstrap installs it)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    """The second of two nights (the first met the RTO, this one misses it), with history."""
    reports = tmp_path_factory.mktemp("reports")
    first = tmp_path_factory.mktemp("night1")
    write_sample_results(first, policies=6, run=1, rto_seconds=1.2)
    generate_report(first, reports, name="MedZen browser check")
    results = tmp_path_factory.mktemp("night2")
    sample = write_sample_results(results, policies=6, run=2, rto_seconds=1234.0)
    index = generate_report(results, reports, name="MedZen browser check")
    return sample, index


def test_rendered_totals_match_the_results(report, tmp_path: Path):
    sample, index = report
    net_log = tmp_path / "net-log.json"
    dom = run_chromium(index.as_uri(), ["--dump-dom"], net_log=net_log)
    totals = rendered_totals(dom)
    attach_text(str(totals), "totals rendered by chromium")
    assert totals["total"] == sum(sample.statuses.values())
    for status in ("passed", "failed", "broken", "skipped"):
        assert totals.get(status, 0) == sample.statuses[status], status
    assert "MedZen browser check" in dom
    assert remote_requests(net_log) == []
    screenshot = tmp_path / "report.png"
    run_chromium(index.as_uri(), [f"--screenshot={screenshot}"])
    assert screenshot.stat().st_size > 10_000
    attach_file(screenshot, "report overview in headless chromium")


def _text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def test_categories_tab_shows_each_category_with_its_count(report):
    sample, index = report
    text = _text(run_chromium(index.as_uri() + "#categories", ["--dump-dom"]))
    for category, count in Counter(c for c in sample.categories.values() if c).items():
        assert f"{category} {count}" in text, (category, text[:500])


def test_a_failed_drill_reads_without_the_code(report):
    _, index = report
    data = embedded_report_data(index.read_text())
    (drill_id,) = [v["id"] for k, v in data.items()
                   if k.startswith("data/test-results/") and v["name"] == "Region outage of af-south-1: RTO and RPO"]
    text = _text(run_chromium(f"{index.as_uri()}#{drill_id}", ["--dump-dom"]))
    assert "Failed" in text and "Category: Target missed" in text
    assert "Error RTO 1234.0 s missed the target 900 s" in text
    assert "hipaa 164.308(a)(7)(ii)(B)" in text
    assert "History 1" in text  # the previous night, when the drill met its target


def test_hipaa_index_is_a_global_attachment_of_the_report(report):
    _, index = report
    text = _text(run_chromium(index.as_uri() + "#globalAttachments", ["--dump-dom"]))
    assert "hipaa-index.html text/html" in text


def test_hipaa_index_page_renders(report):
    sample, index = report
    dom = run_chromium((index.parent / "hipaa-index.html").as_uri(), ["--dump-dom"], budget_ms=2000)
    assert "HIPAA control index" in dom
    assert f"{len(sample.controls)} controls evidenced" in dom
    assert KMS in dom and "VIOLATED" in dom


def test_metric_trends_render_after_the_second_night(report):
    _, index = report
    dom = run_chromium(index.as_uri() + "#metrics", ["--dump-dom"])
    assert "Failover drills (RTO / RPO)" in dom
    assert "RTO region-outage@af-south-1" in dom and "RPO region-outage@af-south-1" in dom
    assert "+1232.8 s" in dom  # delta against the previous night's RTO of 1.2 s


def test_network_check_detects_a_remote_script(tmp_path: Path):
    """Positive control: the network check sees the analytics tag we strip."""
    page = tmp_path / "with-analytics.html"
    page.write_text('<html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>'
                    "</head><body>x</body></html>")
    net_log = tmp_path / "net-log.json"
    run_chromium(page.as_uri(), ["--dump-dom"], budget_ms=2000, net_log=net_log)
    assert [u for u in remote_requests(net_log) if "googletagmanager" in u]
