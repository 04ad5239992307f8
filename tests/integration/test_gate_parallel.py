"""cfn-lint in a forked child beside Checkov gives exactly the sequential result."""

from medzen_harness.compliance.gate import run_gate
from medzen_harness.testing.compliance import EDGE_TEMPLATES, gate_regions


def test_parallel_and_sequential_gate_agree(monkeypatch):
    files = [EDGE_TEMPLATES / "clean.yaml", EDGE_TEMPLATES / "waivers.yaml"]
    parallel = run_gate(files, regions=gate_regions())
    monkeypatch.setenv("MEDZEN_GATE_PARALLEL", "0")
    sequential = run_gate(files, regions=gate_regions())
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in sequential.findings]
    assert any(f.family == "lint" for f in parallel.findings)
