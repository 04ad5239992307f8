"""The HTML report: Allure 3 (npm, offline) -> reports/<UTC date-time>/index.html + reports/latest.

`generate_report` writes an Allure 3 config at run time (single-file Awesome report, our
categories, the environment as report variables, the history file, metric group titles,
the HIPAA control index as a global attachment), runs `allure generate`, strips the
analytics tag Allure embeds, copies the HIPAA index beside index.html and refreshes
reports/latest (a copy, not a symlink: CI artifact uploads and file:// both read it).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medzen_harness import REPO_ROOT
from medzen_harness.errors import HarnessError
from medzen_harness.evidence.categories import allure_categories_js
from medzen_harness.evidence.environment import collect_environment
from medzen_harness.evidence.hipaa_index import write_hipaa_index
from medzen_harness.evidence.metrics import GROUP_TITLES

DEFAULT_ALLURE_BIN = REPO_ROOT / "tools" / "node_modules" / ".bin" / "allure"
HISTORY_FILE = Path("history") / "history.jsonl"
HIPAA_INDEX_FILE = "hipaa-index.html"
GENERATE_TIMEOUT_SECONDS = 600
INSTALL_HINT = "run ./dev (it bootstraps everything) or `cd tools && npm ci`"

# <script src="http(s)://..."></script> and inline scripts that talk to Google Analytics.
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script\s*>", re.I)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_ANALYTICS_MARKERS = ("googletagmanager", "gtag(", "google-analytics", "dataLayer")
# Attributes through which a page would *load* something (not plain <a href> links).
_LOADING_URL = re.compile(
    r"<(?:script|link|img|iframe|source|embed|object|video|audio)\b[^>]*\b(?:src|href|data)\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)",
    re.I,
)


def allure_bin() -> Path:
    """The Allure 3 CLI ($MEDZEN_ALLURE_BIN overrides tools/node_modules/.bin/allure)."""
    path = Path(os.environ.get("MEDZEN_ALLURE_BIN") or DEFAULT_ALLURE_BIN)
    if not path.is_file():
        raise HarnessError(f"Allure 3 is not installed ({path} is missing); {INSTALL_HINT}")
    if shutil.which("node") is None:
        raise HarnessError(f"Node.js is not installed (Allure 3 needs `node`); {INSTALL_HINT}")
    return path


def strip_analytics(page: str) -> str:
    """Remove the analytics tag (and any other remote script) from a generated report page."""
    page = _EXTERNAL_SCRIPT.sub("", page)

    def drop_analytics(match: re.Match[str]) -> str:
        body = match.group(1)
        return "" if any(marker in body for marker in _ANALYTICS_MARKERS) else match.group(0)

    return _INLINE_SCRIPT.sub(drop_analytics, page)


def external_loads(page: str) -> list[str]:
    """Remote URLs the page would load (script/link/img/... src or href), plus analytics markers."""
    found = _LOADING_URL.findall(page)
    found += [marker for marker in ("googletagmanager", "gtag(") if marker in page]
    return found


_EMBEDDED_DATA = re.compile(r'\bd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')


def embedded_report_data(page: str) -> dict[str, Any]:
    """The JSON documents a single-file Allure 3 report embeds (e.g. "widgets/statistic.json")."""
    data: dict[str, Any] = {}
    for name, encoded in _EMBEDDED_DATA.findall(page):
        if name.endswith(".json"):
            data[name] = json.loads(base64.b64decode(encoded))
    return data


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def _new_report_dir(reports_root: Path) -> Path:
    base = reports_root / _utc_stamp()
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def allure_config_js(
    *, name: str, output: Path, variables: Mapping[str, str], history_path: Path | None,
    history_limit: int, global_attachments: list[Path],
) -> str:
    """The allurerc.mjs for one generation (JSON plus the categories, which need RegExps)."""
    config: dict[str, object] = {
        "name": name,
        "output": str(output),
        "variables": dict(variables),
        "performance": {"groups": {group: {"title": title} for group, title in GROUP_TITLES.items()}},
        "globalAttachments": [str(p) for p in global_attachments],
        "plugins": {
            "awesome": {
                "options": {
                    "singleFile": True,
                    "reportLanguage": "en",
                    "reportName": name,
                    "groupBy": ["epic", "feature", "story"],
                }
            }
        },
    }
    if history_path is not None:
        config["historyPath"] = str(history_path)
        config["historyLimit"] = history_limit
    return (
        "// generated by medzen_harness.evidence.report for one `allure generate` run\n"
        f"const config = {json.dumps(config, indent=2)};\n"
        f"config.categories = {allure_categories_js()};\n"
        "export default config;\n"
    )


def _run_allure(
    allure: Path, results_dir: Path, report_dir: Path, *, name: str, variables: Mapping[str, str],
    history_path: Path | None, history_limit: int,
) -> Path:
    """`allure generate` with a config written for this run; returns the (unstripped) index.html."""
    with tempfile.TemporaryDirectory(prefix="medzen-report-") as work:
        work_dir = Path(work)
        hipaa_index = write_hipaa_index(results_dir, work_dir / HIPAA_INDEX_FILE)
        config_file = work_dir / "allurerc.mjs"
        config_file.write_text(allure_config_js(
            name=name, output=report_dir, variables=variables, history_path=history_path,
            history_limit=history_limit, global_attachments=[hipaa_index],
        ))
        command = [str(allure), "generate", "--config", str(config_file), str(results_dir.resolve())]
        try:
            done = subprocess.run(command, cwd=work_dir, capture_output=True, text=True,
                                  timeout=GENERATE_TIMEOUT_SECONDS, env={**os.environ, "NO_COLOR": "1"}, check=False)
        except subprocess.TimeoutExpired as error:
            raise HarnessError(f"allure generate took more than {GENERATE_TIMEOUT_SECONDS} s on {results_dir}; "
                               "check the results size") from error
        index = report_dir / "index.html"
        if done.returncode != 0 or not index.is_file():
            output = re.sub(r"\x1b\[[0-9;]*m", "", (done.stderr or done.stdout).strip())
            last = output.splitlines()[-1] if output else f"exit code {done.returncode}"
            raise HarnessError(f"allure generate failed on {results_dir}: {last}")
        shutil.copy2(hipaa_index, report_dir / HIPAA_INDEX_FILE)
    return index


def _refresh_latest(report_dir: Path, reports_root: Path) -> Path:
    latest = reports_root / "latest"
    staging = reports_root / f".latest-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(report_dir, staging)
        if latest.is_symlink() or latest.is_file():
            latest.unlink()
        elif latest.exists():
            shutil.rmtree(latest)
        staging.rename(latest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return latest


def generate_report(
    results_dir: str | Path,
    reports_root: str | Path = "reports",
    history: bool = True,
    name: str = "MedZen nightly",
    *,
    config_path: str | Path | None = None,
    environment: Mapping[str, str] | None = None,
    history_limit: int = 90,
) -> Path:
    """Generate the report of `results_dir`; returns reports/<UTC date-time>/index.html.

    `environment` entries are added to (and override) the collected ones (git commit,
    template hashes, tool versions, target, targets). With `history`, trends are read from
    and appended to <reports_root>/history/history.jsonl.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise HarnessError(f"results directory {results_dir} does not exist; run the tests with --alluredir {results_dir} first")
    if not any(results_dir.glob("*-result.json")):
        raise HarnessError(f"no Allure results (*-result.json) in {results_dir}; run the tests with --alluredir {results_dir} first")
    allure = allure_bin()
    reports_root = Path(reports_root).resolve()
    report_dir = _new_report_dir(reports_root)
    variables = {**collect_environment(config_path), **(environment or {})}
    history_path = reports_root / HISTORY_FILE if history else None
    if history_path is not None:
        history_path.parent.mkdir(parents=True, exist_ok=True)

    try:
        index = _run_allure(allure, results_dir, report_dir, name=name, variables=variables,
                            history_path=history_path, history_limit=history_limit)
        page = strip_analytics(index.read_text(encoding="utf-8"))
        leftovers = external_loads(page)
        if leftovers:
            raise HarnessError(f"the Allure report still loads remote content after stripping ({leftovers[:3]}); "
                               "update strip_analytics in medzen_harness/evidence/report.py for this Allure version")
        index.write_text(page, encoding="utf-8")
    except BaseException:
        shutil.rmtree(report_dir, ignore_errors=True)  # no half-written report folder, also on Ctrl-C
        raise
    _refresh_latest(report_dir, reports_root)
    return index


def serve_report(directory: str | Path, port: int = 0, host: str = "127.0.0.1") -> None:
    """Serve `directory` on 127.0.0.1 until Ctrl-C (prints the URL first)."""
    directory = Path(directory)
    if not (directory / "index.html").is_file():
        raise HarnessError(f"no report in {directory}; generate one with `medzen-harness report` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise HarnessError(f"cannot listen on {host}:{port} ({error.strerror}); pick a free port with --port") from error
    try:
        print(f"serving {directory} at http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped serving", flush=True)
    finally:
        server.server_close()
