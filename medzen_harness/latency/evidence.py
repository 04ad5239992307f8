"""Evidence of a latency run: the results table, the p95 bar chart with the target line
(normal and DR side by side), Allure cases for CLI runs, and console lines."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medzen_harness.evidence.allure import AllureResultsWriter, Case, Evidence, table_evidence

EPIC = "Latency"
FEATURE = "Latency from African vantage points"


def table_rows(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows for HTML/CSV tables (one per vantage x service x mode)."""
    return [{
        "vantage": r["vantage"], "mode": r["mode"], "service": r["service"], "region": r["region"],
        "rtt_ms (configured)": r["rtt_ms"], "p50_ms": r["p50_ms"], "p95_ms": r["p95_ms"], "p99_ms": r["p99_ms"],
        "mean_ms (exact)": r.get("mean_ms"), "requests": r["requests"], "failures": r["failures"], "failure_rate": r["failure_rate"],
        "resolution_ms": r["resolution_ms"], "verdict": r["verdict"], "emulated": r["emulated"],
        "served_by": r["served_by"],
    } for r in results]


def p95_chart_png(results: Sequence[Mapping[str, Any]], target_ms: float, percentile: int = 95,
                  service: str = "ehr", title_note: str = "") -> bytes:
    """Bar chart: p95 of `service` per vantage point, one bar per mode, with the target line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [r for r in results if r["service"] == service]
    vantages = list(dict.fromkeys(r["vantage"] for r in rows))
    modes = [m for m in ("normal", "dr") if any(r["mode"] == m for r in rows)]
    key = f"p{percentile}_ms" if f"p{percentile}_ms" in (rows[0] if rows else {}) else "p95_ms"
    value = {(r["vantage"], r["mode"]): r.get(key) or 0 for r in rows}
    width = 0.8 / max(len(modes), 1)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(vantages) + 2), 4.5), dpi=100)
    colours = {"normal": "#2b7bba", "dr": "#e8833a"}
    for index, mode in enumerate(modes):
        xs = [i + (index - (len(modes) - 1) / 2) * width for i in range(len(vantages))]
        heights = [value.get((v, mode), 0) for v in vantages]
        axes.bar(xs, heights, width=width, label=f"{mode} routing", color=colours[mode])
    rtts = {(r["vantage"], r["mode"]): r["rtt_ms"] for r in rows}
    for index, mode in enumerate(modes):
        xs = [i + (index - (len(modes) - 1) / 2) * width for i in range(len(vantages))]
        axes.scatter(xs, [rtts.get((v, mode), 0) for v in vantages], marker="_", s=200, color="black",
                     zorder=3, label="configured RTT" if index == 0 else None)
    axes.axhline(target_ms, color="#c0392b", linestyle="--", linewidth=1.5, label=f"target {target_ms:g} ms")
    axes.set_xticks(range(len(vantages)), vantages, rotation=35, ha="right")
    axes.set_ylabel(f"p{percentile} latency, ms ({service})")
    axes.set_title(f"MedZen {service.upper()} p{percentile} per vantage point{title_note}")
    axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    lines = [f"latency ({report['note']}); target p{report['percentile']} < {report['target_ms']:g} ms; "
             f"{report['users']} users, {report['duration_seconds']} s per mode"]
    for r in report["results"]:
        lines.append(f"  {r['mode']:6} {r['vantage']:14} {r['service']:8} {r['region']:10} rtt {r['rtt_ms']:5.0f}  "
                     f"p50 {r['p50_ms']!s:>5} p95 {r['p95_ms']!s:>5} p99 {r['p99_ms']!s:>5} ms (±{r['resolution_ms'] / 2:g})  "
                     f"n={r['requests']:<5} fail={r['failures']:<3} {r['verdict']}")
    misses = sorted({f"{r['vantage']} ({r['mode']})" for r in report["results"] if r["verdict"] == "missed"})
    lines.append("missed: " + (", ".join(misses) if misses else "none"))
    return lines


def write_allure(results_dir: str | Path, report: Mapping[str, Any], csv_files: Sequence[str]) -> int:
    """One case per vantage x mode (judged rows), plus one summary case with table, chart and CSVs."""
    writer = AllureResultsWriter(results_dir)
    target = report["target_ms"]
    emulated = " (emulated vantage points)" if report["emulated"] else ""
    count = 0
    by_case: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in report["results"]:
        by_case.setdefault((row["vantage"], row["mode"]), []).append(row)
    for (vantage, mode), rows in by_case.items():
        judged = [r for r in rows if r["judged"]]
        status = "missed" if any(r["verdict"] == "missed" for r in judged) else ("met" if judged else "skipped")
        message = "; ".join(f"{r['service']}@{r['region']}: p{report['percentile']} {r['reason']}" for r in judged)
        writer.write(Case(
            name=f"Users in {vantage}: p{report['percentile']} under {target:g} ms in {mode} routing{emulated}",
            history_key=f"latency:{report['target']}:{vantage}:{mode}",
            status=status,
            labels={"epic": EPIC, "feature": FEATURE, "story": f"{mode} routing", "severity": "critical",
                    "suite": "latency"},
            message=message + (emulated and f" — {report['note']}"),
            description=f"{report['note']}. {report['resolution']}.",
            parameters={"vantage": vantage, "mode": mode, "users": report["users"],
                        "duration_seconds": report["duration_seconds"],
                        **{f"rtt to {r['region']} ({r['service']})": f"{r['rtt_ms']:g} ms" for r in rows}},
            evidence=table_evidence(table_rows(rows), f"latency {vantage} {mode}"),
        ))
        count += 1
    modes = "+".join(dict.fromkeys(r["mode"] for r in report["results"]))
    evidence = table_evidence(table_rows(report["results"]), f"latency results ({modes})")
    evidence.append(Evidence("p95 per vantage point (chart)", p95_chart_png(report["results"], target,
                                                                            report["percentile"],
                                                                            title_note=emulated),
                             "image/png", "png"))
    for path in csv_files:
        evidence.append(Evidence(Path(path).parent.name + "/" + Path(path).name, Path(path).read_text(),
                                 "text/csv", "csv"))
    writer.write(Case(
        name=f"Latency run summary ({modes}){emulated}",
        history_key=f"latency:{report['target']}:summary:{modes}",
        status="missed" if report["verdict"] == "missed" else "met",
        labels={"epic": EPIC, "feature": FEATURE, "story": "summary", "severity": "normal", "suite": "latency"},
        message="; ".join(summary_lines(report)[-1:]),
        description=f"{report['note']}. {report['resolution']}.",
        evidence=evidence,
    ))
    return count + 1


# ---- inside pytest (BDD steps) ---------------------------------------------------------

def attach_scenario_evidence(rows: list[Any], vantage: Any, seconds_run: int) -> list[Any]:
    """Attach one vantage point's rows and the source of its round-trip figures; return the rows."""
    from medzen_harness.evidence.allure import attach_table, attach_text

    results = [row.as_dict() for row in rows]
    attach_table(table_rows(results), f"latency {vantage.name} ({results[0]['mode'] if results else '?'}, emulated)")
    attach_text(f"load ran {seconds_run} s per mode (MEDZEN_LATENCY_DURATION shortens the feature's 60 s in CI); "
                "emulated vantage points: all workers on this machine, round trips added by fault proxies",
                "how this was measured")
    attach_text("\n".join(f"{vantage.city} -> {r.region}: {r.rtt_ms:g} ms ({r.basis}: {r.source}) — {r.derivation}"
                          for r in vantage.rtts), "round-trip figures and sources")
    return rows


def attach_summary_evidence(report: Mapping[str, Any], mode_reports: Any, target_ms: float) -> None:
    """Table of every row, the side-by-side p95 chart, the Locust CSVs and the JSON report."""
    from medzen_harness.evidence.allure import attach_file, attach_json, attach_table

    assert report["target_ms"] == target_ms, f"config target {report['target_ms']} ms, feature says {target_ms} ms"
    attach_table(table_rows(report["results"]), "latency results, normal and DR (emulated vantage points)")
    import allure

    allure.attach(p95_chart_png(report["results"], target_ms, report["percentile"], title_note=" (emulated)"),
                  name="p95 per vantage point, normal vs DR", attachment_type=allure.attachment_type.PNG)
    for mode_report in mode_reports:
        for path in mode_report["csv_files"]:
            attach_file(path, f"{mode_report['mode']}/{Path(path).name}")
    attach_json(report, "latency report (JSON)")


def misses_by_mode(report: Mapping[str, Any]) -> dict[str, list[str]]:
    misses: dict[str, list[str]] = {}
    for row in report["results"]:
        if row["judged"]:
            misses.setdefault(row["mode"], [])
            if row["verdict"] == "missed":
                misses[row["mode"]].append(f"{row['vantage']} (p{report['percentile']} {row['p95_ms']} ms)")
    return misses


def assert_complete_and_list_misses(report: Mapping[str, Any]) -> None:
    """Every vantage point has a measured, judged row in both modes; the misses are attached."""
    from medzen_harness.evidence.allure import attach_text

    judged = [(r["vantage"], r["mode"]) for r in report["results"] if r["judged"] and r["requests"] > 0]
    expected = {(v, m) for v in report["vantage_points"] for m in ("normal", "dr")}
    assert set(judged) == expected, f"not measured: {sorted(expected - set(judged))}"
    misses = misses_by_mode(report)
    attach_text("\n".join(f"{mode}: {', '.join(names) or 'none'}" for mode, names in misses.items()),
                f"vantage points missing {report['target_ms']:g} ms")
