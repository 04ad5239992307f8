"""The canary: a writer and a reader through the global endpoint, recording every outcome.

The writer creates one EHR every `interval` (sequence id + client timestamp; the subject id
`<run>-<seq>` lets the recovered primary be asked which writes survived). Writes are sent
on a schedule by a small thread pool, so a hanging request (a black-holed region) does not
slow the cadence. The reader fetches the newest acknowledged EHR.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from medzen_harness.drill.measure import ACK, ERROR, TIMEOUT, Probe

EHR_PATH = "/ehrbase/rest/openehr/v1/ehr"
STATUS_PATH = "/ehrbase/rest/status"
CANARY_NAMESPACE = "medzen-canary"
MAX_IN_FLIGHT = 48  # > request timeout / interval: hanging requests never stall the cadence


@dataclass(frozen=True)
class HttpAnswer:
    outcome: str
    status: int | None
    body: dict
    region: str | None
    detail: str = ""


def http_json(host: str, port: int, method: str, path: str, body: dict | None, timeout: float) -> HttpAnswer:
    """One request on a fresh connection; never raises for network trouble."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Connection": "close"} if payload else {"Connection": "close"}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw[:200].decode(errors="replace")}
        return HttpAnswer(ACK if response.status < 300 else ERROR, response.status, data,
                          response.getheader("X-Region"), "" if response.status < 300 else str(data)[:160])
    except TimeoutError:
        return HttpAnswer(TIMEOUT, None, {}, None, "timed out")
    except (OSError, http.client.HTTPException) as error:
        return HttpAnswer(ERROR, None, {}, None, f"{type(error).__name__}: {error}"[:160])
    finally:
        connection.close()


def canary_body(run_id: str, seq: int, sent_at: float) -> dict:
    return {"_type": "EHR_STATUS", "subject": {"external_ref": {"id": {"value": f"{run_id}-{seq}"},
                                                                "namespace": CANARY_NAMESPACE}},
            "other_details": {"canary_seq": seq, "client_timestamp": sent_at}}


class Canary:
    """Writer + reader against `host:port` until `stop()`; `probes()` returns the log."""

    def __init__(self, host: str, port: int, interval: float = 0.1, read_interval: float = 0.25,
                 timeout: float = 1.0, run_id: str | None = None):
        self.host, self.port = host, port
        self.interval, self.read_interval, self.timeout = interval, read_interval, timeout
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._probes: list[Probe] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="canary-write")
        self._latest_ehr: str | None = None
        self._seq = 0

    # ---- lifecycle -----------------------------------------------------------------
    def start(self) -> Canary:
        self._threads = [threading.Thread(target=self._write_loop, name="canary-writer", daemon=True),
                         threading.Thread(target=self._read_loop, name="canary-reader", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 2)
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- results -------------------------------------------------------------------
    def probes(self) -> list[Probe]:
        with self._lock:
            return sorted(self._probes, key=lambda p: (p.sent_at, p.kind, p.seq))

    def acknowledged_since(self, since: float, kind: str = "write") -> int:
        with self._lock:
            return sum(1 for p in self._probes if p.kind == kind and p.sent_at >= since and p.outcome == ACK)

    def last_failure_after(self, since: float) -> float | None:
        with self._lock:
            failures = [p.sent_at for p in self._probes if p.kind == "write" and p.sent_at >= since
                        and p.outcome != ACK]
        return max(failures) if failures else None

    # ---- loops ---------------------------------------------------------------------
    def _write_loop(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            seq = self._seq
            self._seq += 1
            self._pool.submit(self._write, seq)
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _write(self, seq: int) -> None:
        sent_at = time.time()
        answer = http_json(self.host, self.port, "POST", EHR_PATH, canary_body(self.run_id, seq, sent_at), self.timeout)
        finished_at = time.time()
        outcome = answer.outcome if answer.status in (None, 201) or answer.outcome != ACK else ERROR
        ehr_id = (answer.body.get("ehr_id") or {}).get("value") if outcome == ACK else None
        with self._lock:
            self._probes.append(Probe("write", seq, sent_at, finished_at, outcome, answer.status, answer.region,
                                      ehr_id, answer.detail))
            if ehr_id:
                self._latest_ehr = ehr_id

    def _read_loop(self) -> None:
        seq = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            ehr_id = self._latest_ehr
            if ehr_id:
                sent_at = time.time()
                answer = http_json(self.host, self.port, "GET", f"{EHR_PATH}/{ehr_id}", None, self.timeout)
                with self._lock:
                    self._probes.append(Probe("read", seq, sent_at, time.time(), answer.outcome, answer.status,
                                              answer.region, ehr_id, answer.detail))
                seq += 1
            next_at = max(next_at + self.read_interval, time.monotonic())
            self._stop.wait(max(0.0, next_at - time.monotonic()))


def present_sequences(connection, run_id: str) -> set[int]:
    """Canary sequence ids of run `run_id` found in a database (a psycopg connection)."""
    rows = connection.execute(
        "SELECT subject_id FROM ehr WHERE subject_namespace = %s AND subject_id LIKE %s",
        (CANARY_NAMESPACE, f"{run_id}-%")).fetchall()
    return {int(row[0].rsplit("-", 1)[1]) for row in rows}
