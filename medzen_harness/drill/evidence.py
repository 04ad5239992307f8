"""Evidence of one drill: timeline chart (PNG), RTO breakdown, RPO with write counts, the raw
probe log (CSV) and log excerpts — as Allure attachments (pytest) or a standalone case (CLI)."""

from __future__ import annotations

import io
import json
from typing import Any

from medzen_harness.drill.engine import DrillRun
from medzen_harness.evidence.allure import Case, CaseStep, Evidence, rows_to_csv, table_evidence

HIPAA_CONTROLS = ("164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)")  # disaster recovery, emergency mode
ROWS = [("write", "ack", "write acknowledged", "tab:green"), ("write", "error", "write error", "tab:red"),
        ("write", "timeout", "write timeout", "tab:orange"), ("read", "ack", "read ok", "tab:blue"),
        ("read", "error", "read error", "tab:purple"), ("read", "timeout", "read timeout", "tab:brown")]


def timeline_png(run: DrillRun) -> bytes:
    """Probe outcomes over time (0 = fault) with fault, detection, promotion, recovery marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(12, 3.8), dpi=100)
    for index, (kind, outcome, label, colour) in enumerate(ROWS):
        xs = [p.sent_at - run.fault_time for p in run.probes if p.kind == kind and p.outcome == outcome
              and not (kind == "write" and outcome == "ack" and p.seq not in run.present)]
        if xs:
            axes.scatter(xs, [index] * len(xs), s=14, color=colour, label=f"{label} ({len(xs)})")
    lost = [p.sent_at - run.fault_time for p in run.probes
            if p.kind == "write" and p.outcome == "ack" and p.seq not in run.present]
    if lost:
        axes.scatter(lost, [0] * len(lost), s=30, marker="x", color="red", label=f"acknowledged, LOST ({len(lost)})")
    axes.set_yticks(range(len(ROWS)), [row[2] for row in ROWS], fontsize=8)
    marks = [("fault", 0.0, "black")]
    for step in run.steps:
        if step.name in ("detection", "promote", "global endpoint serves DR"):
            marks.append((f"{step.name} done", step.ended_at - run.fault_time, "grey"))
    rto = run.result.get("rto_seconds")
    if rto is not None:
        marks.append(("first write acknowledged (RTO)", rto, "green"))
    rpo = run.result.get("rpo_seconds")
    if rpo:
        axes.axvspan(-rpo, 0, color="red", alpha=0.12, label=f"data lost window (RPO {rpo:.2f} s)")
    for index, (label, x, colour) in enumerate(marks):
        axes.axvline(x, color=colour, linestyle="--", linewidth=1)
        axes.annotate(label, (x, len(ROWS) - 0.8 - 0.45 * index), fontsize=7, ha="left", va="center",
                      xytext=(3, 0), textcoords="offset points", color=colour if colour != "grey" else "dimgrey")
    axes.set_ylim(-0.5, len(ROWS) - 0.5)
    axes.set_xlabel("seconds from the fault")
    axes.set_title(f"{run.result['fault']} @ {run.result['region']}: verdict {run.result['verdict']}", fontsize=10)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def rto_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"step": s["name"], "seconds": s["seconds"], "done at (s after fault)": s.get("at_seconds", "")}
            for s in result["steps"]]
    rows.append({"step": "RTO (first acknowledged write)", "seconds": result["rto_seconds"],
                 "done at (s after fault)": result["rto_seconds"]})
    return rows


def rpo_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    writes = result["writes"]
    return [{"measure": "RPO seconds", "value": result["rpo_seconds"]},
            {"measure": "RPO target seconds", "value": result["targets"]["rpo_seconds"]},
            *({"measure": f"writes {key}", "value": value} for key, value in writes.items()),
            {"measure": "availability over the drill", "value": result.get("availability")}]


def drill_evidence(run: DrillRun) -> list[Evidence]:
    result = run.result
    evidence = [Evidence("timeline", timeline_png(run), "image/png", "png")]
    evidence += table_evidence(rto_rows(result), "RTO breakdown")
    evidence += table_evidence(rpo_rows(result), "RPO and write counts")
    evidence.append(Evidence("probe log", rows_to_csv([p.as_row() for p in run.probes]), "text/csv", "csv"))
    evidence.append(Evidence("drill result", json.dumps(result, indent=2, default=str), "application/json", "json"))
    for name, text in run.logs.items():
        evidence.append(Evidence(f"{name} (excerpt)", text or "(no lines during the drill)", "text/plain", "txt"))
    return evidence


def attach_drill_evidence(run: DrillRun) -> None:
    """Inside pytest: attach everything to the current test (allure-pytest or -bdd)."""
    import allure

    for item in drill_evidence(run):
        kind = next((t for t in allure.attachment_type if t.mime_type == item.mime), allure.attachment_type.TEXT)
        allure.attach(item.body, name=item.name, attachment_type=kind)


def drill_case(run: DrillRun) -> Case:
    """The drill as one standalone Allure test case (CLI --alluredir)."""
    result = run.result
    message = "; ".join(result.get("reasons", [])) or (
        f"RTO {result['rto_seconds']} s, RPO {result['rpo_seconds']} s within targets")
    return Case(
        name=f"Failover drill: {result['fault']} in {result['region']}",
        history_key=f"drill:{result.get('target', 'lab')}:{result['fault']}:{result['region']}",
        status=result["verdict"],
        labels={"epic": "Resilience", "feature": "Failover drills", "story": result["fault"],
                "severity": "critical", "hipaa": list(HIPAA_CONTROLS)},
        message=message,
        description=(f"Fault `{result['fault']}` injected into {result['region']} on the {result.get('target')} "
                     f"target; RTO/RPO measured by a canary through the global endpoint."),
        parameters={"fault": result["fault"], "region": result["region"],
                    "replication delay (s)": result.get("replication_delay_seconds", 0.0)},
        evidence=drill_evidence(run),
        steps=[CaseStep(s["name"], "passed", float(s["seconds"])) for s in result["steps"]],
        start_ms=int(run.started_at * 1000),
        stop_ms=int(run.ended_at * 1000),
    )


def summary_line(result: dict[str, Any]) -> str:
    def seconds(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f} s"

    breakdown = ", ".join(f"{s['name']} {s['seconds']:.3f} s" for s in result["steps"])
    writes = result["writes"]
    return (f"drill {result['fault']} @ {result['region']}: RTO {seconds(result['rto_seconds'])} "
            f"(target {result['targets']['rto_seconds']} s), RPO {seconds(result['rpo_seconds'])} "
            f"(target {result['targets']['rpo_seconds']} s); writes acknowledged {writes['acknowledged']}, "
            f"lost {writes['lost']}, in doubt {writes['in_doubt']}; steps: {breakdown}; "
            f"restore verified: {result['restore']['verified']} -> {result['verdict'].upper()}"
            + (f" ({'; '.join(result['reasons'])})" if result.get("reasons") else ""))


__all__ = ["attach_drill_evidence", "drill_case", "drill_evidence", "summary_line", "timeline_png"]
