"""JSON / JUnit / SARIF / Allure outputs of one real gate run, parsed and checked."""

import hashlib
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from medzen_harness import REPO_ROOT

TEMPLATES = REPO_ROOT / "tests" / "fixtures" / "templates"
INPUTS = [TEMPLATES / "clean.yaml", TEMPLATES / "waivers.yaml",
          REPO_ROOT / "policies" / "kms" / "MZ_KMS_S3" / "fixtures" / "non_compliant.yaml"]
CONTRACT_FIELDS = {"policy", "family", "severity", "hipaa", "file", "resource", "resource_type", "status",
                   "message", "reason"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("gate-outputs")
    run = subprocess.run(
        [sys.executable, "-m", "medzen_harness", "gate", *map(str, INPUTS),
         "--json", str(out_dir / "gate.json"), "--junit", str(out_dir / "junit.xml"),
         "--sarif", str(out_dir / "gate.sarif"), "--alluredir", str(out_dir / "allure")],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    return out_dir, json.loads((out_dir / "gate.json").read_text())


def test_json_follows_the_contract(outputs):
    _, report = outputs
    findings = report["findings"]
    assert findings and all(set(f) >= CONTRACT_FIELDS for f in findings)
    s3 = [f for f in findings if f["policy"] == "MZ_KMS_S3"]
    assert {f["resource"] for f in s3} == {"Aes256Bucket", "AwsManagedKeyBucket", "DefaultEncryptionBucket"}
    assert all(f["status"] == "failed" and f["family"] == "kms" and f["hipaa"] == ["164.312(a)(2)(iv)"]
               and f["resource_type"] == "AWS::S3::Bucket" for f in s3)
    waived = next(f for f in findings if f["resource"] == "WaivedTopic" and f["policy"] == "MZ_KMS_SNS")
    assert waived["status"] == "skipped" and "SEC-42" in waived["reason"]
    clean = next(f for f in findings if f["file"].endswith("clean.yaml") and f["policy"] == "MZ_KMS_LOGS")
    assert clean["status"] == "passed"
    assert clean["template_sha256"] == hashlib.sha256((TEMPLATES / "clean.yaml").read_bytes()).hexdigest()
    summary = report["summary"]
    assert summary["verdict"] == "fail" and summary["templates"] == 3
    assert summary["failed"] == sum(f["status"] == "failed" for f in findings)
    assert summary["skipped"] == 1 and summary["findings_by_family"]["kms"] >= 3
    assert summary["tools"]["checkov"] and summary["tools"]["cfn-lint"]


def test_junit_has_a_case_per_record_and_failures_for_findings(outputs):
    out_dir, report = outputs
    root = ET.parse(out_dir / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(report["findings"])
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == sum(f["status"] in ("failed", "unresolved") for f in report["findings"])
    assert int(root.get("failures")) == len(failed)
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == 1 and "SEC-42" in skipped[0].find("skipped").get("message")
    aes = next(c for c in failed if c.get("name") == "MZ_KMS_S3 Aes256Bucket")
    assert "AES256" in aes.find("failure").get("message") and "164.312(a)(2)(iv)" in aes.find("failure").text


def test_sarif_is_2_1_0_with_rules_from_metadata_and_located_results(outputs):
    out_dir, report = outputs
    sarif = json.loads((out_dir / "gate.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "MZ_TLS_S3_POLICY" in rules and "164.312(e)(1)" in rules["MZ_TLS_S3_POLICY"]["properties"]["hipaa"]
    assert len(run["results"]) == sum(f["status"] != "passed" for f in report["findings"])
    aes = next(r for r in run["results"] if r["ruleId"] == "MZ_KMS_S3"
               and r["locations"][0]["logicalLocations"][0]["name"] == "Aes256Bucket")
    region = aes["locations"][0]["physicalLocation"]["region"]
    lines = INPUTS[2].read_text().splitlines()
    assert "SSEAlgorithm: AES256" in lines[region["startLine"] - 1]
    assert aes["level"] == "error" and rules[aes["ruleId"]] == run["tool"]["driver"]["rules"][aes["ruleIndex"]]
    waived = [r for r in run["results"] if r.get("suppressions")]
    assert len(waived) == 1 and "SEC-42" in waived[0]["suppressions"][0]["justification"]


def test_allure_has_a_labelled_case_with_evidence_per_record(outputs):
    out_dir, report = outputs
    results = [json.loads(p.read_text()) for p in (out_dir / "allure").glob("*-result.json")]
    assert len(results) == len(report["findings"])
    case = next(r for r in results if r["name"].startswith("MZ_KMS_S3 on Aes256Bucket"))
    labels = {}
    for label in case["labels"]:
        labels.setdefault(label["name"], []).append(label["value"])
    assert labels["epic"] == ["Compliance"] and labels["feature"] == ["kms"]
    assert labels["story"] == ["MZ_KMS_S3 S3 buckets encrypt by default with a customer-managed KMS key"]
    assert labels["severity"] == ["blocker"] and labels["hipaa"] == ["164.312(a)(2)(iv)"]
    assert case["status"] == "failed" and "expected" in case["statusDetails"]["message"]
    params = {p["name"]: p["value"] for p in case["parameters"]}
    assert params["template sha256"] == hashlib.sha256(INPUTS[2].read_bytes()).hexdigest()
    assert params["checkov version"] and params["cfn-lint version"]
    excerpt = next(a for a in case["attachments"] if a["name"].startswith("template excerpt"))
    assert "SSEAlgorithm: AES256" in (out_dir / "allure" / excerpt["source"]).read_text()
    waived = next(r for r in results if r["name"].startswith("MZ_KMS_SNS on WaivedTopic"))
    assert waived["status"] == "skipped" and "SEC-42" in waived["statusDetails"]["message"]
