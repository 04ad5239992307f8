"""Open a generated report in headless Debian Chromium: rendered DOM, screenshot, network log.

Used by the real-browser test. Chromium runs with a fresh profile, no background
networking, and a host resolver that resolves nothing, so a report that tried to load a
remote resource would show the attempt in the network log without reaching the internet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from medzen_harness.errors import HarnessError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
# Hosts Chromium itself contacts (updates, accounts, time) despite the flags; never the page.
CHROMIUM_SERVICE_SUFFIXES = (".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com")
RUN_TIMEOUT_SECONDS = 90


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def run_chromium(url: str, action: list[str], budget_ms: int = 15000, net_log: Path | None = None) -> str:
    """Run one headless Chromium action (e.g. ["--dump-dom"]) on `url`; returns stdout."""
    chromium = find_chromium()
    if chromium is None:
        raise HarnessError("chromium is not installed; run ./dev (bootstrap installs Debian chromium)")
    with tempfile.TemporaryDirectory(prefix="medzen-chromium-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                   "--window-size=1400,1000", *action]
        if net_log is not None:
            command.append(f"--log-net-log={net_log}")
        try:
            done = subprocess.run([*command, url], capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
                                  check=False)
        except subprocess.TimeoutExpired as error:
            raise HarnessError(f"chromium did not finish {action} on {url} within {RUN_TIMEOUT_SECONDS} s") from error
    if done.returncode != 0:
        raise HarnessError(f"chromium exited with {done.returncode} on {url}: {done.stderr.strip()[-300:]}")
    return done.stdout


class _TotalsParser(HTMLParser):
    """Reads Allure Awesome's summary: <div data-testid="metadata-item-failed"> ... <span>2</span>."""

    def __init__(self) -> None:
        super().__init__()
        self.totals: dict[str, int] = {}
        self._item: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        testid = dict(attrs).get("data-testid") or ""
        if testid.startswith("metadata-item-"):
            self._item = testid.removeprefix("metadata-item-")

    def handle_data(self, data: str) -> None:
        if self._item and data.strip().isdigit():
            self.totals.setdefault(self._item, int(data.strip()))
            self._item = None


def rendered_totals(dom: str) -> dict[str, int]:
    """{"total": 9, "failed": 2, "passed": 5, ...} as the browser rendered them."""
    parser = _TotalsParser()
    parser.feed(dom)
    return parser.totals


def remote_requests(net_log: Path) -> list[str]:
    """http(s) URLs requested while rendering, minus Chromium's own service calls."""
    urls = set()
    for event in json.loads(net_log.read_text()).get("events", []):
        url = (event.get("params") or {}).get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            urls.add(url)
    return sorted(u for u in urls if not (urlparse(u).hostname or "").endswith(CHROMIUM_SERVICE_SUFFIXES))
