import json
from pathlib import Path

from medzen_harness.evidence.allure import AllureResultsWriter, Case, Evidence, rows_to_csv, table_evidence
from medzen_harness.evidence.tags import label_for_tag


def test_writer_produces_allure_result_with_labels_and_attachments(tmp_path: Path):
    writer = AllureResultsWriter(tmp_path)
    writer.write(Case(
        name="MZ-KMS-001 on RecordingsBucket",
        history_key="MZ-KMS-001|chime.yaml|RecordingsBucket",
        status="unresolved",
        labels={"epic": "Compliance", "hipaa": ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"]},
        message="KMSMasterKeyID is a Ref the gate cannot resolve",
        evidence=[Evidence("excerpt", "BucketEncryption: ...", "text/yaml", "yaml"), *table_evidence([{"a": 1}], "t")],
    ))
    results = list(tmp_path.glob("*-result.json"))
    assert len(results) == 1
    data = json.loads(results[0].read_text())
    assert data["status"] == "failed"  # unresolved is a finding, never hidden
    assert {"name": "hipaa", "value": "164.312(e)(2)(ii)"} in data["labels"]
    assert data["statusDetails"]["message"].startswith("KMSMasterKeyID")
    sources = [a["source"] for a in data["attachments"]]
    assert len(sources) == 3 and all((tmp_path / s).exists() for s in sources)


def test_history_id_is_stable_across_runs(tmp_path: Path):
    for run in ("a", "b"):
        AllureResultsWriter(tmp_path / run).write(Case(name="x", history_key="k", status="passed"))
    ids = {json.loads(next((tmp_path / r).glob("*-result.json")).read_text())["historyId"] for r in "ab"}
    assert len(ids) == 1


def test_csv_and_tags():
    assert rows_to_csv([{"a": 1, "b": 2}]).splitlines() == ["a,b", "1,2"]
    assert label_for_tag("hipaa:164.312(e)(1)") == ("hipaa", "164.312(e)(1)")
    assert label_for_tag("severity:critical") == ("severity", "critical")
    assert label_for_tag("slow") is None
    assert label_for_tag("nonsense:x") is None
