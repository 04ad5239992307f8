"""MedZen user workload for Locust: one worker process per vantage point.

Every request is named `<call>[<vantage>]` (e.g. `ehr_read[douala]`) so each stats row is
per vantage point. A worker is configured by environment variables (set by
`medzen-harness latency`, or by hand for a real-mode worker at a location):

  MEDZEN_VANTAGE     catalogue name of the vantage point (douala, lagos, cape-town, ...)
  MEDZEN_ENDPOINTS   JSON {"ehr": URL, "ai": URL, "meetings": URL}; a service left out is not
                     called (reported "skipped: not emulated")
  MEDZEN_WAIT_MIN / MEDZEN_WAIT_MAX   think time between a user's calls, seconds (0.5 / 1.5)

Measured window (warm-up excluded): calls start under the name `warmup[<vantage>]` (reported,
never judged). The master, once every user is spawned, waits MEDZEN_WARMUP_SECONDS, tells
every worker to start measuring (message `medzen_measure`: from then on calls carry their
judged names) and ends the run MEDZEN_MEASURE_SECONDS later. So the judged rows hold exactly
the calls *started* in the measured window: not the spawn ramp, process start-up or the first
connections (what Locust's `--reset-stats` is for, but exact in distributed mode, where a
reset races with the workers' stats reports).

Each user first opens its connections (`connect[<vantage>]`, reported, not judged), then
calls with a realistic mix: EHR read 50, EHR status 20, EHR write 15, AI chat 10, meeting
create 5 (weights).

On the master, MEDZEN_HISTOGRAM_OUT names a JSON file that receives, when the run ends,
Locust's own response-time histogram of every request name (for per-vantage aggregates) and
the measured window (`warmup_seconds`, `measured_seconds`).
"""

from __future__ import annotations

import json
import os
import random
import time

import gevent
from client_stalls import (  # next to this file (Locust adds its dir)
    TICK_SECONDS,
    StallClock,
    StallFreeTimes,
    merge,
)
from locust import between, events
from locust.contrib.fasthttp import FastHttpUser
from locust.runners import MasterRunner, WorkerRunner

EHR_BASE = "/ehrbase/rest"
VANTAGE = os.environ.get("MEDZEN_VANTAGE", "unknown")
ENDPOINTS: dict[str, str] = json.loads(os.environ.get("MEDZEN_ENDPOINTS", "{}"))
MEASURE_MESSAGE = "medzen_measure"
END_MESSAGE = "medzen_end"
WARMUP_NAME = "warmup"
COOLDOWN_NAME = "cooldown"
FINAL_REPORT_WAIT_SECONDS = float(os.environ.get("MEDZEN_REQUEST_TIMEOUT", "5")) + 5


class Window:
    """This process's view of the measured window (workers: measuring or not; master: times)."""

    measuring = False
    ended = False
    in_flight = 0  # worker: measured calls started and not yet reported by Locust
    final_reports: set[str] = set()  # master: workers whose measured calls are all reported
    spawned_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    measuring_since: float | None = None  # wall clock, workers
    ended_since: float | None = None
    clock = StallClock()
    stall_free = StallFreeTimes(clock)
    # master: {request name: {ms: count}} without the workers' own freezes; {vantage: freezes}
    stall_free_totals: dict[str, dict[str, int]] = {}
    client_stalls: dict[str, dict[str, float]] = {}

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
        if call == "connect":
            return f"{call}[{VANTAGE}]"
        if Window.measuring:
            Window.in_flight += 1
            return f"{call}[{VANTAGE}]"
        return f"{COOLDOWN_NAME if Window.ended else WARMUP_NAME}[{VANTAGE}]"

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


@events.init.add_listener
def _measured_window(environment, **_kwargs) -> None:
    """Master: warm-up after the spawn, then the measured window; workers: switch names on cue."""
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        warmup = float(os.environ.get("MEDZEN_WARMUP_SECONDS", "0"))
        measure = os.environ.get("MEDZEN_MEASURE_SECONDS")

        def start_measuring() -> None:
            Window.started_at = time.monotonic()
            runner.send_message(MEASURE_MESSAGE)
            if measure:
                gevent.spawn_later(float(measure), end_measuring)

        def end_measuring() -> None:
            # Locust's quit waits only 0.5 s for the workers' last stats, and a worker sends them
            # only after stopping its users: the end of the window would be lost. Instead every
            # worker stops measuring, waits for its measured calls in flight, reports them
            # ("final") and only then does the master quit (bounded).
            Window.ended_at = time.monotonic()
            runner.send_message(END_MESSAGE)
            deadline = time.monotonic() + FINAL_REPORT_WAIT_SECONDS
            while len(Window.final_reports) < runner.worker_count and time.monotonic() < deadline:
                gevent.sleep(0.05)
            runner.quit()

        @events.spawning_complete.add_listener
        def _spawned(**_kw) -> None:
            if Window.spawned_at is None:
                Window.spawned_at = time.monotonic()
                gevent.spawn_later(warmup, start_measuring)

        @events.worker_report.add_listener
        def _stalls_from_worker(client_id, data, **_kw) -> None:
            merge(Window.stall_free_totals, data.get("medzen_stall_free") or {})
            if data.get("medzen_final"):
                Window.final_reports.add(client_id)
            if data.get("medzen_stalls"):
                Window.client_stalls[data["medzen_stalls"]["vantage"]] = data["medzen_stalls"]["summary"]
    elif isinstance(runner, WorkerRunner):
        def measure_now(*_args, **_kw) -> None:
            Window.measuring_since = time.time()
            Window.measuring = True

        def end_now(*_args, **_kw) -> None:
            Window.ended_since = time.time()
            Window.measuring, Window.ended = False, True
            deadline = time.monotonic() + FINAL_REPORT_WAIT_SECONDS - 1
            while Window.in_flight > 0 and time.monotonic() < deadline:
                gevent.sleep(0.02)
            runner._send_stats()  # Locust's own report (private API), now with every measured call

        runner.register_message(MEASURE_MESSAGE, measure_now)
        runner.register_message(END_MESSAGE, end_now, concurrent=True)
        gevent.spawn(_watch_own_freezes)

        @events.request.add_listener
        def _measured_call(name, response_time, start_time=None, **_kw) -> None:
            if not name.startswith(("connect[", f"{WARMUP_NAME}[", f"{COOLDOWN_NAME}[")):
                Window.in_flight -= 1
                start = start_time if start_time is not None else time.time() - response_time / 1000
                Window.stall_free.add(name, start, response_time)

        @events.report_to_master.add_listener
        def _report_stalls(client_id, data, **_kw) -> None:
            stopping = Window.ended or runner.state in ("stopping", "stopped", "quitting")
            data["medzen_final"] = Window.ended and Window.in_flight <= 0
            data["medzen_stall_free"] = {name: {str(k): v for k, v in counts.items()}
                                         for name, counts in Window.stall_free.take(everything=stopping).items()}
            if Window.measuring_since is not None:
                data["medzen_stalls"] = {"vantage": VANTAGE,
                                         "summary": Window.clock.summary(Window.measuring_since, Window.ended_since)}
    else:  # a local run (no master, e.g. a quick check by hand): no warm-up
        Window.measuring = True


def _watch_own_freezes() -> None:
    """Worker: a timer that wakes every TICK_SECONDS; waking late means the process was frozen."""
    while True:
        expected = time.time() + TICK_SECONDS
        gevent.sleep(TICK_SECONDS)
        Window.clock.tick(expected, time.time())


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
            # the same calls without the measuring worker's own freezes (lower bound, load/client_stalls.py)
            "stall_free_response_times": Window.stall_free_totals.get(name, {}),
        })
    with open(out, "w", encoding="utf-8") as handle:
        started, ended = Window.started_at, Window.ended_at or time.monotonic()
        measured = 0.0 if started is None else ended - started
        json.dump({"entries": entries, "worker_count": environment.runner.worker_count,
                   "warmup_seconds": float(os.environ.get("MEDZEN_WARMUP_SECONDS", "0")),
                   "measured_seconds": round(measured, 2), "client_stalls": Window.client_stalls}, handle)
