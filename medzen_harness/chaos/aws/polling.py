"""Bounded polling (tenacity): call `read` until `done(value)`, at most `timeout_seconds`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from medzen_harness.errors import HarnessError

T = TypeVar("T")

MAX_TIMEOUT_SECONDS = 3 * 3600.0  # no wait in the harness may exceed a drill's hard limit


def check_timeout(timeout_seconds: float, poll_seconds: float) -> None:
    for name, value in (("timeout_seconds", timeout_seconds), ("poll_seconds", poll_seconds)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HarnessError(f"{name} must be a number of seconds, got {value!r}")
    if not 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise HarnessError(f"timeout_seconds must be in (0, {MAX_TIMEOUT_SECONDS:.0f}], got {timeout_seconds}")
    if not 0 < poll_seconds <= timeout_seconds:
        raise HarnessError(f"poll_seconds must be in (0, timeout_seconds], got {poll_seconds}")


def poll_until(read: Callable[[], T], done: Callable[[T], bool], timeout_seconds: float,
               poll_seconds: float, what: str) -> tuple[T, float]:
    """The first value `done` accepts and the seconds it took; HarnessError naming `what` and the
    last value seen when `timeout_seconds` pass first."""
    check_timeout(timeout_seconds, poll_seconds)
    started = time.monotonic()
    retrying = Retrying(stop=stop_after_delay(timeout_seconds), wait=wait_fixed(poll_seconds),
                        retry=retry_if_result(lambda value: not done(value)))
    try:
        value = retrying(read)
    except RetryError as error:
        last = error.last_attempt.result()
        raise HarnessError(f"{what}: not reached within {timeout_seconds:g} s (last seen: {last})") from None
    return value, time.monotonic() - started
