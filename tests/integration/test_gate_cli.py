"""`python -m medzen_harness gate`: exit codes 0 / 1 / 2 and one readable stderr line."""

import subprocess
import sys

import pytest

from medzen_harness import REPO_ROOT

TEMPLATES = REPO_ROOT / "tests" / "fixtures" / "templates"


def gate(*args, cwd=REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "medzen_harness", "gate", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_exit_0_when_everything_passes():
    out = gate(TEMPLATES / "clean.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "gate: PASS" in out.stdout and "MZ_KMS_LOGS" in out.stdout and "MZ_RET_LOGS" in out.stdout
    assert out.stderr == ""


def test_exit_1_on_findings_with_the_policy_in_the_output():
    out = gate(REPO_ROOT / "policies/kms/MZ_KMS_S3/fixtures/non_compliant.yaml", "--policy", "MZ_KMS_S3")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL       MZ_KMS_S3" in out.stdout and "SSEAlgorithm AES256" in out.stdout
    assert "gate: FAIL" in out.stdout


@pytest.mark.parametrize(("target", "words"), [
    ("malformed.yaml", "cannot be parsed"),
    ("missing.yaml", "does not exist"),
    ("empty.yaml", "is empty"),
    ("not_cloudformation.yaml", "not a CloudFormation template"),
])
def test_exit_2_on_unusable_templates_with_one_line(target, words):
    out = gate(TEMPLATES / "clean.yaml", TEMPLATES / target)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medzen-harness gate: error:") and words in lines[0]
    assert out.stdout == ""


def test_exit_2_on_usage_errors(tmp_path):
    assert gate("--no-such-option").returncode == 2
    unknown_policy = gate(TEMPLATES / "clean.yaml", "--policy", "MZ_NOPE")
    assert unknown_policy.returncode == 2 and "unknown policy id(s) MZ_NOPE" in unknown_policy.stderr
    empty_folder = gate(tmp_path)
    assert empty_folder.returncode == 2 and "contains no templates" in empty_folder.stderr


def test_unresolved_alone_fails_the_gate(tmp_path):
    template = tmp_path / "imported.yaml"
    template.write_text(
        "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      RetentionInDays: 30\n      KmsKeyId: !ImportValue shared-logs-key\n")
    out = gate(template, "--policy", "MZ_KMS_LOGS", "--policy", "MZ_RET_LOGS")
    assert out.returncode == 1
    assert "UNRESOLVED MZ_KMS_LOGS" in out.stdout and "Fn::ImportValue" in out.stdout


def test_gate_needs_no_network():
    # a network namespace with no interface at all: any download attempt would fail or hang
    import shutil

    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("not available: unshare -n (needs root and util-linux)")
    out = subprocess.run(["unshare", "-n", sys.executable, "-m", "medzen_harness", "gate",
                          str(TEMPLATES / "clean.yaml")], capture_output=True, text=True, cwd=REPO_ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "gate: PASS" in out.stdout


def test_malformed_resources_do_not_crash_the_gate(tmp_path):
    template = tmp_path / "odd.yaml"
    template.write_text("Resources:\n  Odd: just-a-string\n  Topic:\n    Type: AWS::SNS::Topic\n")
    out = gate(template, "--policy", "MZ_KMS_SNS")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL       MZ_KMS_SNS" in out.stdout and "cfn-lint error" in out.stdout
