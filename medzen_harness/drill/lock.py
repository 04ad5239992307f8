"""One drill at a time per environment (a lab run dir, or an AWS account)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from medzen_harness.errors import HarnessError


@contextlib.contextmanager
def drill_lock(path: Path, environment: str) -> Iterator[None]:
    """An exclusive, non-blocking lock file; a second drill on the same environment is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the drill
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise HarnessError(f"another drill is running on {environment} (pid {holder}); wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
