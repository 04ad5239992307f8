"""Unit tests of the report's parts: categories, analytics stripping, HIPAA index, metrics, environment."""

import hashlib
import json
import re
from pathlib import Path

from medzen_harness.evidence.categories import CATEGORIES, allure_categories_js, categorize, markdown_table
from medzen_harness.evidence.environment import collect_environment, describe_target, template_hashes
from medzen_harness.evidence.hipaa_index import control_status, evidence_rows, read_results, render_html
from medzen_harness.evidence.metrics import drill_metrics, latency_metrics, write_metrics
from medzen_harness.evidence.report import allure_config_js, external_loads, strip_analytics
from medzen_harness.evidence.samples import KMS, write_sample_results

GENERATED_HEAD = """<head><title>r</title>
<script>window.allureReportOptions = {"reportName":"x"}</script>
<script   src="data:text/javascript;base64,AAAA"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
<script defer>Promise.allSettled([d("widgets/statistic.json","e30=")])</script>
<a href="https://allurereport.org">Powered by</a>
</head>"""


def test_strip_analytics_removes_the_tag_and_keeps_the_report_scripts():
    assert external_loads(GENERATED_HEAD)  # the raw page would load Google Tag Manager
    page = strip_analytics(GENERATED_HEAD)
    assert "googletagmanager" not in page and "gtag(" not in page and "dataLayer" not in page
    assert external_loads(page) == []
    assert 'src="data:text/javascript;base64,AAAA"' in page
    assert "window.allureReportOptions" in page and 'd("widgets/statistic.json"' in page
    assert 'href="https://allurereport.org"' in page  # a plain link loads nothing


def test_external_loads_finds_remote_stylesheets_and_protocol_relative_scripts():
    assert external_loads('<link rel="stylesheet" href="https://cdn.example/x.css">') == ["https://cdn.example/x.css"]
    assert strip_analytics('<script src="//cdn.example/x.js"></script>ok') == "ok"


def test_categories_first_match_wins():
    compliance = {"epic": ["Compliance"]}
    assert categorize("failed", compliance, "KMS key missing; target bucket X") == "Policy violation"
    assert categorize("failed", {"epic": ["Resilience"]}, "RTO 1000 s missed the target 900 s") == "Target missed"
    assert categorize("failed", {}, "p95 180 ms above the Target 150 ms") == "Target missed"
    assert categorize("skipped", {}, "not emulated: moto drops S3 lifecycle") == "Not emulated"
    assert categorize("skipped", {}, "slow scenarios deselected") is None
    assert categorize("broken", compliance, "Traceback ...") == "Harness error"
    assert categorize("failed", {"epic": ["Resilience"]}, "replica is not writable") is None
    assert categorize("passed", compliance, "") is None


def test_categories_config_is_javascript_with_every_category():
    js = allure_categories_js()
    for category in CATEGORIES:
        assert json.dumps(category.name) in js
    assert 'message: new RegExp("^not emulated:", "i")' in js
    assert '"epic": new RegExp("^Compliance$", "")' in js
    assert markdown_table().count("\n") == len(CATEGORIES) + 1


def test_allure_config_sets_single_file_history_and_global_attachment(tmp_path: Path):
    js = allure_config_js(name="N", output=tmp_path / "out", variables={"git commit": "abc"},
                          history_path=tmp_path / "h.jsonl", history_limit=5, global_attachments=[tmp_path / "i.html"])
    body = json.loads(re.search(r"const config = (\{.*?\n\});", js, re.S).group(1))
    assert body["plugins"]["awesome"]["options"]["singleFile"] is True
    assert body["historyPath"] == str(tmp_path / "h.jsonl") and body["historyLimit"] == 5
    assert body["variables"] == {"git commit": "abc"}
    assert body["globalAttachments"] == [str(tmp_path / "i.html")]
    assert "config.categories = { rules:" in js
    without = allure_config_js(name="N", output=tmp_path, variables={}, history_path=None, history_limit=5,
                               global_attachments=[])
    assert "historyPath" not in without


def test_hipaa_index_lists_every_control_with_its_tests_and_worst_status(tmp_path: Path):
    sample = write_sample_results(tmp_path, policies=4)
    rows = evidence_rows(read_results(tmp_path))
    assert {r.control for r in rows} == set(sample.controls)
    for control, tests in sample.controls.items():
        assert {r.test for r in rows if r.control == control} == tests
    statuses = control_status(rows)
    assert statuses[KMS] == "failed"                   # 2 of 4 KMS checks fail
    assert statuses["164.312(e)(1)"] == "passed"
    assert statuses["164.316(b)(2)(i)"] == "skipped"   # not emulated is never evidence
    page = render_html(rows)
    assert "VIOLATED" in page and "EVIDENCED" in page and "NOT PROVEN" in page
    assert "Encryption and decryption (at rest)" in page
    assert "expected BucketEncryption with SSEAlgorithm aws:kms, observed AES256" in page
    assert "<script" not in page and "http" not in page


def test_hipaa_index_without_labels_says_so():
    assert "no control is evidenced" in render_html([])


def test_metrics_from_drill_and_latency_contracts(tmp_path: Path):
    drill = {"fault": "region-outage", "region": "af-south-1", "rto_seconds": 1.25, "rpo_seconds": None}
    metrics = drill_metrics(drill)
    assert [(m.key, m.value, m.unit) for m in metrics] == [("rto_seconds[region-outage@af-south-1]", 1.25, "s")]
    latency = {"results": [{"vantage": "lagos", "mode": "dr", "p95_ms": 181.0}, {"vantage": "x", "p95_ms": None}]}
    assert [m.key for m in latency_metrics(latency)] == ["p95_ms[lagos@dr]"]
    path = write_metrics(tmp_path, metrics)
    assert path is not None and path.name.endswith("-perf.json")
    sample = json.loads(path.read_text())[0]
    assert {"id", "key", "value", "start", "stop", "title", "unit", "better", "group"} <= set(sample)
    assert write_metrics(tmp_path, []) is None


def test_template_hashes_are_sha256_of_each_file(tmp_path: Path):
    (tmp_path / "chaos").mkdir()
    (tmp_path / "global.yaml").write_text("Resources: {}\n")
    (tmp_path / "chaos" / "fis.yaml").write_text("Resources: {a: 1}\n")
    hashes = template_hashes(tmp_path)
    assert hashes == {
        "chaos/fis.yaml": hashlib.sha256(b"Resources: {a: 1}\n").hexdigest(),
        "global.yaml": hashlib.sha256(b"Resources: {}\n").hexdigest(),
    }


def test_environment_has_commit_tools_target_and_configured_targets(tmp_path: Path):
    override = tmp_path / "override.yaml"
    override.write_text("targets:\n  rto_seconds: 600\n")
    env = collect_environment(override)
    assert env["target RTO"] == "600 s" and env["target RPO"] == "300 s" and env["target latency"] == "p95 < 150 ms"
    assert env["target"].startswith("embedded lab")
    assert re.match(r"[0-9a-f]{40}|unknown", env["git commit"])
    for tool in ("python", "checkov", "cfn-lint", "moto", "locust", "postgres", "haproxy", "allure"):
        assert f"tool {tool}" in env
    assert env["tool checkov"] == "3.3.30"


def test_describe_target_for_a_real_account():
    config = {"regions": {"primary": "af-south-1", "dr": "eu-west-1", "backup": "us-east-1"},
              "aws": {"target": "aws", "allowed_account_ids": ["123456789012"]}}
    assert describe_target(config).startswith("AWS account(s) 123456789012; regions af-south-1 (primary)")


def test_readme_categories_tables_are_current():
    root = Path(__file__).resolve().parents[2]
    for readme in (root / "medzen_harness" / "evidence" / "README.md", root / "README.md"):
        text = readme.read_text()
        block = text.split("<!-- BEGIN generated:report-categories -->\n")[1].split("\n<!-- END generated:report-categories -->")[0]
        assert block == markdown_table(), readme
