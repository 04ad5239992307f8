"""`medzen-harness nightly`: the nightly drill as one command.

Phases run the harness's own CLI contracts as child processes (each writes its JSON and
its Allure results), so a phase that crashes cannot take the others down and Locust's
gevent patching never leaks into the drills. The pipeline announces each phase with the
elapsed time, always runs the clean-up phase, generates the report, and ends with a short
summary. Exit code: 0 all targets met and no finding, 1 a target missed or a policy
failed, 2 a harness error (a phase could not run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError

PHASE_TIMEOUT_SECONDS = 900  # no phase may hang a nightly forever


@dataclass
class Phase:
    """One step of the pipeline: a harness sub-command and the JSON it leaves behind."""

    name: str
    argv: list[str]
    json_path: Path | None = None
    summarize: Callable[[dict[str, Any]], str] | None = None
    metrics: Callable[[dict[str, Any]], list[Any]] | None = None  # trend points for the report
    always: bool = False  # clean-up phases run even after an interruption


@dataclass
class PhaseResult:
    name: str
    exit_code: int
    seconds: float
    summary: str = ""
    json_path: str | None = None  # the phase's own result file (the summary only points to it)

    @property
    def status(self) -> str:
        return {0: "ok", 1: "finding"}.get(self.exit_code, "error")


def _harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "medzen_harness", *args]


# ---- summaries of each contract's JSON (one line each) -------------------------------

def summarize_gate(data: dict[str, Any]) -> str:
    findings = [f for f in data.get("findings", []) if f.get("status") in ("failed", "unresolved")]
    checked = len(data.get("findings", []))
    return f"{len(findings)} finding(s) in {checked} policy x resource checks"


def summarize_deploy(data: dict[str, Any]) -> str:
    checks = data.get("checks", [])
    by_status = {s: sum(1 for c in checks if c.get("status") == s) for s in ("passed", "failed", "skipped")}
    leftover = data.get("teardown", {}).get("leftover", [])
    return (f"{len(data.get('stacks', []))} stacks; checks passed {by_status['passed']}, failed "
            f"{by_status['failed']}, skipped (not emulated) {by_status['skipped']}; leftover after teardown: "
            f"{len(leftover)}")


def _minutes(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def summarize_drill(data: dict[str, Any]) -> str:
    targets = data.get("targets", {})
    return (f"{data.get('fault')}@{data.get('region')}: RTO {_minutes(data.get('rto_seconds'))} "
            f"(target {_minutes(targets.get('rto_seconds'))}), RPO {_minutes(data.get('rpo_seconds'))} "
            f"(target {_minutes(targets.get('rpo_seconds'))}) -> {data.get('verdict')}")


def summarize_latency(data: dict[str, Any]) -> str:
    judged = [r for r in data.get("results", []) if r.get("verdict") in ("met", "missed", "inconclusive")]
    parts = []
    for mode in dict.fromkeys(r["mode"] for r in judged):
        rows = [r for r in judged if r["mode"] == mode]
        by_verdict = {v: [r["vantage"] for r in rows if r["verdict"] == v] for v in ("met", "missed", "inconclusive")}
        part = f"{mode}: {len(by_verdict['met'])}/{len(rows)} met"
        if by_verdict["missed"]:
            part += f" (missed: {', '.join(by_verdict['missed'])})"
        if by_verdict["inconclusive"]:
            part += f" (inconclusive, machine too noisy: {', '.join(by_verdict['inconclusive'])})"
        parts.append(part)
    return f"p95 target {data.get('target_ms')} ms — " + "; ".join(parts) if parts else "no judged rows"


def drill_trend(data: dict[str, Any]) -> list[Any]:
    from medzen_harness.evidence.metrics import drill_metrics

    return drill_metrics(data)


def latency_trend(data: dict[str, Any]) -> list[Any]:
    from medzen_harness.evidence.metrics import latency_metrics

    # one point per vantage x mode: only the judged (EHR) rows, the others are stand-ins
    judged = [r for r in data.get("results", []) if r.get("verdict") in ("met", "missed")]
    return latency_metrics({"results": judged})


# ---- the nightly ------------------------------------------------------------------------

def fault_names() -> list[str]:
    from medzen_harness.chaos.catalogue import fault_names as names

    return list(names())


def nightly_phases(run_dir: Path, results_dir: Path, quick: bool, config: str | None) -> list[Phase]:
    cfg = ["--config", config] if config else []
    phases = [
        Phase("compliance gate", _harness("gate", "cloudformation", "--json", str(run_dir / "gate.json"),
                                          "--junit", str(run_dir / "gate-junit.xml"),
                                          "--sarif", str(run_dir / "gate.sarif"),
                                          "--alluredir", str(results_dir)),
              run_dir / "gate.json", summarize_gate),
        Phase("deploy + verify + teardown (embedded AWS)",
              _harness("deploy", "--target", "embedded", "--teardown", *cfg,
                       "--json", str(run_dir / "deploy.json"), "--alluredir", str(results_dir)),
              run_dir / "deploy.json", summarize_deploy),
    ]
    for fault in fault_names():
        path = run_dir / f"drill-{fault}.json"
        phases.append(Phase(f"drill {fault}", _harness("drill", "--fault", fault, "--region", "af-south-1", *cfg,
                                                       "--json", str(path), "--alluredir", str(results_dir)),
                            path, summarize_drill, drill_trend))
    duration = "10" if quick else "30"
    path = run_dir / "latency.json"
    phases.append(Phase("latency (normal and DR routing)",
                        _harness("latency", "--mode", "both", "--duration", duration, *cfg,
                                 "--json", str(path), "--alluredir", str(results_dir)),
                        path, summarize_latency, latency_trend))
    phases.append(Phase("lab down (clean-up)", _harness("lab", "down"), always=True))
    return phases


def run_phase(phase: Phase, started: float, log: Callable[[str], None], results_dir: Path | None = None) -> PhaseResult:
    log(f"[{time.monotonic() - started:7.1f}s] >>> {phase.name}")
    phase_started = time.monotonic()
    try:
        completed = subprocess.run(phase.argv, cwd=REPO_ROOT, timeout=PHASE_TIMEOUT_SECONDS, check=False)
        exit_code = completed.returncode
    except subprocess.TimeoutExpired:
        log(f"    {phase.name} exceeded {PHASE_TIMEOUT_SECONDS} s and was stopped")
        exit_code = 2
    seconds = time.monotonic() - phase_started
    data: dict[str, Any] = {}
    summary = ""
    if phase.json_path is not None and phase.json_path.exists():
        data = json.loads(phase.json_path.read_text())
        summary = phase.summarize(data) if phase.summarize else ""
    elif phase.json_path is not None:
        summary = "no result written (see the error above)"
    result = PhaseResult(phase.name, exit_code, seconds, summary, str(phase.json_path) if data else None)
    if data and phase.metrics is not None and results_dir is not None:
        from medzen_harness.evidence.metrics import write_metrics

        write_metrics(results_dir, phase.metrics(data))
    log(f"[{time.monotonic() - started:7.1f}s] <<< {phase.name}: {result.status} in {seconds:.1f} s"
        + (f" — {summary}" if summary else ""))
    return result


def overall_exit_code(results: list[PhaseResult]) -> int:
    if any(r.exit_code not in (0, 1) for r in results):
        return 2
    return 1 if any(r.exit_code == 1 for r in results) else 0


def write_summary(results: list[PhaseResult], path: Path, report: Path | None) -> str:
    lines = ["", "=== MedZen nightly summary ==="]
    lines += [f"{r.status:>8}  {r.seconds:6.1f} s  {r.name}" + (f": {r.summary}" if r.summary else "") for r in results]
    lines.append(f"report: {report}" if report else "report: not generated (see above)")
    text = "\n".join(lines)
    path.write_text(json.dumps([vars(r) | {"status": r.status} for r in results], indent=2, default=str))
    return text


def generate_report(results_dir: Path, reports_root: Path, name: str) -> Path:
    from medzen_harness.evidence.report import generate_report as generate

    return generate(results_dir, reports_root=reports_root, name=name)


def preflight(config_path: str | None) -> None:
    """Fail in one line, before anything starts, on bad config or a missing prerequisite."""
    from medzen_harness.config import load_config
    from medzen_harness.evidence.report import allure_bin
    from medzen_harness.lab.haproxy import haproxy_binary
    from medzen_harness.lab.postgres import pg_bin

    load_config(config_path)
    pg_bin("postgres")
    haproxy_binary()
    allure_bin()


def run_nightly(args: argparse.Namespace) -> int:
    preflight(args.config)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    reports_root = Path(args.reports_root).resolve()
    run_dir = reports_root / "runs" / stamp
    results_dir = reports_root / "allure-results"
    run_dir.mkdir(parents=True, exist_ok=True)
    if results_dir.exists():
        shutil.rmtree(results_dir)  # results of the previous night live on in the report's history
    results_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def log(line: str) -> None:
        print(line, flush=True)

    phases = nightly_phases(run_dir, results_dir, args.quick, args.config)
    results: list[PhaseResult] = []
    interrupted = False
    for phase in phases:
        if interrupted and not phase.always:
            continue
        try:
            results.append(run_phase(phase, started, log, results_dir))
        except KeyboardInterrupt:
            interrupted = True  # still run the clean-up phases
            log(f"interrupted during {phase.name}; cleaning up")
    report = None
    try:
        report = generate_report(results_dir, reports_root, "MedZen nightly")
    except HarnessError as error:
        log(f"report: {error}")
        results.append(PhaseResult("report", 2, 0.0, str(error)))
    log(write_summary(results, run_dir / "summary.json", report))
    if interrupted:
        raise KeyboardInterrupt
    return overall_exit_code(results)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("nightly", help="the nightly drill on the embedded lab, with the Allure report")
    parser.add_argument("--quick", action="store_true", help="shortened run (latency 10 s per mode) for CI")
    parser.add_argument("--config", default=os.environ.get("MEDZEN_CONFIG"), help="config override file")
    parser.add_argument("--reports-root", default=str(REPO_ROOT / "reports"),
                        help="where runs/, allure-results/, history/ and the dated reports go (default: reports/)")
    parser.set_defaults(func=run_nightly)
