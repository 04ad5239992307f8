"""One failover drill on the embedded lab: steady state → canary → fault → runbook →
measurement → heal + restore → steady state again. Always heals and restores."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from medzen_harness.chaos.base import Fault
from medzen_harness.chaos.catalogue import get_fault
from medzen_harness.chaos.replication_lag import FAULT as REPLICATION_LAG
from medzen_harness.config import require_region
from medzen_harness.drill import measure
from medzen_harness.drill.measure import Probe
from medzen_harness.drill.probes import EHR_PATH, STATUS_PATH, Canary, http_json, present_sequences
from medzen_harness.drill.runbook import DrillAborted, Guardrail, LabRunbook, Step
from medzen_harness.errors import HarnessError


@dataclass(frozen=True)
class DrillSettings:
    canary_interval: float = 0.1
    reader_interval: float = 0.25
    request_timeout: float = 1.0
    warmup: float = 2.0
    observe: float = 3.0
    settle: float = 1.0
    recovery_timeout: float = 60.0
    max_duration: float = 180.0
    max_replication_lag: float = 1.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DrillSettings:
        drill = config["drill"]
        return cls(
            canary_interval=drill["canary_interval_ms"] / 1000.0,
            reader_interval=drill["reader_interval_ms"] / 1000.0,
            request_timeout=float(drill["request_timeout_seconds"]),
            warmup=float(drill["warmup_seconds"]),
            observe=float(drill["observe_seconds"]),
            settle=float(drill["settle_seconds"]),
            recovery_timeout=float(drill["recovery_timeout_seconds"]),
            max_duration=float(drill["max_duration_seconds"]),
            max_replication_lag=float(drill["steady_state"]["max_replication_lag_seconds"]),
        )


@dataclass
class SteadyState:
    ok: bool
    checks: list[dict[str, Any]]

    def failures(self) -> str:
        return "; ".join(f"{c['check']}: {c['detail']}" for c in self.checks if not c["ok"])


def steady_state(lab: Any, max_lag: float, timeout: float = 1.0) -> SteadyState:
    """The hypothesis: the global endpoint is healthy and writable, a write reads back, the
    primary is UP in routing and the DR standby streams with little lag."""
    endpoint = lab.global_endpoint
    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    status = http_json(endpoint.host, endpoint.port, "GET", STATUS_PATH, None, timeout)
    check("global endpoint status 200", status.status == 200, f"{status.status} from {status.region}")
    write = http_json(endpoint.host, endpoint.port, "POST", EHR_PATH, {}, timeout)
    check("EHR write acknowledged", write.status == 201, f"{write.status} {write.detail}".strip())
    ehr_id = (write.body.get("ehr_id") or {}).get("value")
    read = http_json(endpoint.host, endpoint.port, "GET", f"{EHR_PATH}/{ehr_id}", None, timeout) if ehr_id else None
    check("EHR read back", bool(read and read.status == 200), f"{read.status if read else None}")
    primary = lab.settings.primary
    states = lab.server_states()
    check(f"{primary} UP in the global endpoint", states.get(primary) == "UP", str(states))
    replication = lab.health().get("replication") or {}
    check("DR standby streaming", replication.get("state") == "streaming", str(replication))
    caught_up_at = None
    started = time.monotonic()
    while time.monotonic() - started <= max_lag:  # the standby catches up within max_lag seconds
        replication = lab.health().get("replication") or {}
        if replication.get("lag_bytes") == 0:
            caught_up_at = time.monotonic() - started
            break
        time.sleep(0.05)
    check(f"DR standby caught up within {max_lag} s", caught_up_at is not None,
          f"{caught_up_at:.3f} s" if caught_up_at is not None else f"still {replication.get('lag_bytes')} bytes behind")
    return SteadyState(all(c["ok"] for c in checks), checks)


@dataclass
class DrillRun:
    """Everything a drill produced: the JSON result plus the raw material for evidence."""

    result: dict[str, Any]
    probes: list[Probe] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    fault_time: float = 0.0
    fault_in_effect: float = 0.0
    started_at: float = 0.0
    ended_at: float = 0.0
    logs: dict[str, str] = field(default_factory=dict)
    present: set[int] = field(default_factory=set)  # canary writes found on the recovered primary


def _present_on(lab: Any, region: str, run_id: str) -> set[int]:
    with psycopg.connect(lab.db_dsn(region), autocommit=True) as connection:
        return present_sequences(connection, run_id)


def _wait_recovery(canary: Canary, fault_time: float, settings: DrillSettings, guard: Guardrail) -> None:
    """Until a write sent after the fault is acknowledged (and `settle` s of traffic after it)."""
    deadline = time.monotonic() + settings.recovery_timeout
    while canary.acknowledged_since(fault_time) == 0:
        guard.check("waiting for the first acknowledged write")
        if time.monotonic() > deadline:
            raise DrillAborted(f"guardrail: no write acknowledged {settings.recovery_timeout:.0f} s after the fault")
        time.sleep(0.02)
    time.sleep(settings.settle)


def _log_excerpt(path: Any, skip_lines: int = 0, limit: int = 80) -> str:
    """The lines a log gained during the drill (the last `limit` of them)."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()[skip_lines:]
    except OSError:
        return ""
    return "\n".join(lines[-limit:])


def _line_count(path: Any) -> int:
    try:
        return len(Path(path).read_text(errors="replace").splitlines())
    except OSError:
        return 0


def run_lab_drill(lab: Any, fault_name: str, region: str, config: dict[str, Any],
                  replication_delay: float = 0.0, params: dict[str, str | float] | None = None) -> DrillRun:
    require_region(region)
    fault: Fault = get_fault(fault_name)
    values = fault.resolve_parameters(params)
    settings = DrillSettings.from_config(config)
    targets = {key: config["targets"][key] for key in ("rto_seconds", "rpo_seconds", "latency_ms")}
    if region not in lab.regions:
        raise HarnessError(f"the lab has no region '{region}' (it emulates {', '.join(lab.regions)})")
    guard = Guardrail(settings.max_duration)
    primary, dr = lab.settings.primary, lab.settings.dr
    before = steady_state(lab, settings.max_replication_lag)
    if not before.ok:
        raise HarnessError(f"steady state not met before the fault, nothing injected: {before.failures()}")

    run = DrillRun(result={}, started_at=time.time())
    log_paths = {"haproxy.log": lab.haproxy_log, **{f"postgres-{r}.log": lab.postgres_log(r) for r in lab.regions}}
    log_offsets = {name: _line_count(path) for name, path in log_paths.items()}
    endpoint = lab.global_endpoint
    canary = Canary(endpoint.host, endpoint.port, settings.canary_interval, settings.reader_interval,
                    settings.request_timeout)
    lag = REPLICATION_LAG.lab(lab, region, {"delay_seconds": replication_delay}, config) if replication_delay else None
    injection = fault.lab(lab, region, values, config)
    observations: dict[str, Any] = {}
    error: BaseException | None = None
    failover = fault.failover and region == primary
    present: set[int] = set()
    present_after_restore: set[int] | None = None
    restore_timings: dict[str, float] = {}
    after: SteadyState | None = None
    fault_end = None
    try:
        if lag:
            lag.inject()
        canary.start()
        time.sleep(settings.warmup + replication_delay)
        guard.check("warm-up")
        run.fault_time = time.time()  # the fault starts: RPO and RTO are measured from here
        injection.inject()
        run.fault_in_effect = time.time()  # ... and RTO counts writes sent from here on
        if failover:
            runbook = LabRunbook(lab, primary, dr, lab.settings.dr_full_processes, guard,
                                 detection_timeout=settings.recovery_timeout, dr_timeout=settings.recovery_timeout)
            run.steps = runbook.run(run.fault_time)
            _wait_recovery(canary, run.fault_in_effect, settings, guard)
        else:
            observations = injection.observe(settings.observe)
            fault_end = time.time()
            run.steps = [Step("observe", fault_end - run.fault_time, run.fault_time, fault_end,
                              "no failover: the fault is observed, then healed")]
            time.sleep(settings.settle)
        canary.stop()
        present = _present_on(lab, lab.primary_region, canary.run_id)
    except BaseException as raised:  # Ctrl-C included: heal and restore first
        error = raised
    finally:
        canary.stop()
        run.probes = canary.probes()
        run.ended_at = time.time()
        for healing in (injection, lag):
            if healing is not None:
                with contextlib.suppress(Exception):
                    healing.heal()
        try:
            restore_timings = lab.restore()
            after = steady_state(lab, settings.max_replication_lag)
            if error is None:
                present_after_restore = _present_on(lab, primary, canary.run_id)
        except HarnessError as restore_error:
            if error is None:
                error = restore_error
        run.logs = {name: _log_excerpt(path, log_offsets[name]) for name, path in log_paths.items()}
    if error is not None:
        raise error

    probes = run.probes
    run.present = present
    counts = measure.count_writes(probes, present)
    window_end = fault_end or run.ended_at
    context = {
        "writes": counts.contract(),
        "failed_writes_during_fault": sum(1 for p in measure.writes(probes)
                                          if run.fault_time <= p.sent_at <= window_end and p.outcome != "ack"),
        "p95_ms_during_fault": _round(measure.latency_percentile_ms(probes, run.fault_time, window_end, 95)),
    }
    rto = measure.rto_seconds(probes, run.fault_time, run.fault_in_effect)
    rpo = measure.rpo_seconds(probes, present, run.fault_time)
    if fault.judge is not None and not failover:
        verdict, reasons, fields = fault.judge(observations, context, targets)
    elif failover or fault.failover:
        verdict, reasons = measure.failover_verdict(rto, rpo, targets)
        fields = {"rto_seconds": _round(rto), "rpo_seconds": _round(rpo)}
        if not failover:
            fields["rto_reason"] = f"no failover: {region} is not the primary region; RTO is the write gap seen"
    else:  # pragma: no cover - every non-failover fault has a judge
        raise HarnessError(f"fault {fault.name} has no verdict rule")
    lost_in_failback = (len(present - present_after_restore) if present_after_restore is not None else None)
    restore_verified = bool(after and after.ok) and lost_in_failback == 0
    if not restore_verified:
        verdict = "missed"
        reasons.append("restore not verified: " + (after.failures() if after and not after.ok else
                                                   f"{lost_in_failback} write(s) missing after fail-back"))
    result = {
        "fault": fault.name,
        "region": region,
        "target": "lab",
        **fields,
        "writes": counts.contract(),
        "steps": measure.step_breakdown([s.as_dict() for s in run.steps], run.fault_time),
        "targets": targets,
        "verdict": verdict,
        "reasons": reasons,
        "failover": failover,
        "parameters": values,
        "replication_delay_seconds": replication_delay,
        "availability": _round(measure.availability(probes, run.started_at, run.ended_at), 5),
        "outage_seconds": _round(measure.outage_seconds(probes, run.started_at, run.ended_at)),
        "observations": observations | {k: v for k, v in context.items() if k != "writes"},
        "restore": {"verified": restore_verified, "seconds": _round(restore_timings.get("total")),
                    "steps": {k: _round(v) for k, v in restore_timings.items()},
                    "steady_state_after": after.checks if after else None,
                    "acknowledged_writes_missing_after_failback": lost_in_failback},
        "steady_state_before": before.checks,
        "timestamps": {"started_at": run.started_at, "fault_at": run.fault_time,
                       "fault_in_effect_at": run.fault_in_effect, "ended_at": run.ended_at},
        "canary": {"run_id": canary.run_id, "interval_seconds": settings.canary_interval,
                   "probes": len(probes)},
    }
    run.result = result
    return run


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
