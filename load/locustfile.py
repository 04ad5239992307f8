"""MedZen user workload for Locust: one worker process per vantage point.

Every request is named `<call>[<vantage>]` (e.g. `ehr_read[douala]`) so each stats row is
per vantage point. A worker is configured by environment variables (set by
`medzen-harness latency`, or by hand for a real-mode worker at a location):

  MEDZEN_VANTAGE     catalogue name of the vantage point (douala, lagos, cape-town, ...)
  MEDZEN_ENDPOINTS   JSON {"ehr": URL, "ai": URL, "meetings": URL}; a service left out is not
                     called (reported "skipped: not emulated")
  MEDZEN_WAIT_MIN / MEDZEN_WAIT_MAX   think time between a user's calls, seconds (0.5 / 1.5)

Each user first opens its connections (`connect[<vantage>]`, reported, not judged), then
calls with a realistic mix: EHR read 50, EHR status 20, EHR write 15, AI chat 10, meeting
create 5 (weights).

On the master, MEDZEN_HISTOGRAM_OUT names a JSON file that receives, when the run ends,
Locust's own response-time histogram of every request name (for per-vantage aggregates).
"""

from __future__ import annotations

import json
import os
import random

from locust import between, events
from locust.contrib.fasthttp import FastHttpUser
from locust.runners import MasterRunner

EHR_BASE = "/ehrbase/rest"
VANTAGE = os.environ.get("MEDZEN_VANTAGE", "unknown")
ENDPOINTS: dict[str, str] = json.loads(os.environ.get("MEDZEN_ENDPOINTS", "{}"))

CHAT_PROMPTS = (
    "Quels sont les effets secondaires de l'amoxicilline ?",
    "What is the paediatric dose of paracetamol for a 12 kg child?",
    "Summarise the last consultation for this patient.",
)


def _ehr_id(response) -> str | None:
    """openEHR create-EHR answers with the id in the body (ehr_id.value), ETag or Location."""
    try:
        body = response.json()
        value = body.get("ehr_id")
        if isinstance(value, dict):
            value = value.get("value")
        if value:
            return str(value)
    except Exception:  # noqa: BLE001 - a body that is not JSON: fall back to the headers
        pass
    location = response.headers.get("Location") or response.headers.get("location")
    if location:
        return location.rstrip("/").rsplit("/", 1)[-1]
    etag = response.headers.get("ETag") or response.headers.get("etag")
    return etag.strip('"') if etag else None


class MedZenUser(FastHttpUser):
    """A clinician or patient using MedZen from one vantage point."""

    host = ENDPOINTS.get("ehr", "http://127.0.0.1")
    wait_time = between(float(os.environ.get("MEDZEN_WAIT_MIN", "0.5")),
                        float(os.environ.get("MEDZEN_WAIT_MAX", "1.5")))
    network_timeout = float(os.environ.get("MEDZEN_REQUEST_TIMEOUT", "5"))
    connection_timeout = float(os.environ.get("MEDZEN_REQUEST_TIMEOUT", "5"))

    def on_start(self) -> None:
        # Open this user's keep-alive connection to every service first, under its own name
        # (`connect[<vantage>]`, not judged): the judged calls then measure a session's steady
        # state, independent of how many calls a short CI run makes per user.
        self.ehr_ids: list[str] = []
        for service in sorted(ENDPOINTS):
            path = f"{EHR_BASE}/status" if service == "ehr" else "/"
            with self.client.get(f"{ENDPOINTS[service]}{path}", name=self._name("connect"),
                                 catch_response=True) as response:
                if response.status_code == 0:
                    response.failure(f"{service}: no connection")
                else:
                    response.success()

    def _name(self, call: str) -> str:
        return f"{call}[{VANTAGE}]"

    def ehr_status(self) -> None:
        if "ehr" in ENDPOINTS:
            self.client.get(f"{ENDPOINTS['ehr']}{EHR_BASE}/status", name=self._name("ehr_status"))

    def ehr_read(self) -> None:
        if not self.ehr_ids:
            self.ehr_write()
        if self.ehr_ids:
            ehr_id = random.choice(self.ehr_ids)
            self.client.get(f"{ENDPOINTS['ehr']}{EHR_BASE}/openehr/v1/ehr/{ehr_id}",
                            name=self._name("ehr_read"), headers={"Accept": "application/json"})

    def ehr_write(self) -> None:
        if "ehr" not in ENDPOINTS:
            return
        with self.client.post(f"{ENDPOINTS['ehr']}{EHR_BASE}/openehr/v1/ehr", name=self._name("ehr_write"),
                              headers={"Accept": "application/json", "Prefer": "return=representation"},
                              catch_response=True) as response:
            if response.status_code not in (200, 201, 204):
                response.failure(f"create EHR answered {response.status_code}")
                return
            ehr_id = _ehr_id(response)
            if ehr_id:
                self.ehr_ids = (self.ehr_ids + [ehr_id])[-50:]
            response.success()

    def ai_chat(self) -> None:
        if "ai" in ENDPOINTS:
            self.client.post(f"{ENDPOINTS['ai']}/ai/chat", name=self._name("ai_chat"),
                             json={"message": random.choice(CHAT_PROMPTS), "language": "fr"})

    def meeting_create(self) -> None:
        if "meetings" in ENDPOINTS:
            self.client.post(f"{ENDPOINTS['meetings']}/meetings", name=self._name("meeting_create"),
                             json={"title": "Téléconsultation", "region_hint": "auto"})

    # Realistic mix: records are read far more than written; AI chat and meetings are rarer.
    # A service without an endpoint is left out of the mix (not called, not counted).
    tasks = {call: weight for call, weight, service in (
        (ehr_read, 50, "ehr"), (ehr_status, 20, "ehr"), (ehr_write, 15, "ehr"),
        (ai_chat, 10, "ai"), (meeting_create, 5, "meetings"),
    ) if service in ENDPOINTS} or {ehr_status: 1}


@events.quitting.add_listener
def _export_histograms(environment, **_kwargs) -> None:
    """Master only: write Locust's stored response-time histograms per request name."""
    out = os.environ.get("MEDZEN_HISTOGRAM_OUT")
    if not out or not isinstance(environment.runner, MasterRunner):
        return
    entries = []
    for (name, method), entry in environment.stats.entries.items():
        entries.append({
            "name": name,
            "method": method,
            "num_requests": entry.num_requests,
            "num_failures": entry.num_failures,
            "num_none_requests": entry.num_none_requests,
            "total_response_time": entry.total_response_time,  # exact (unrounded) sum, ms
            "response_times": {str(k): v for k, v in entry.response_times.items()},
        })
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"entries": entries, "worker_count": environment.runner.worker_count}, handle)
