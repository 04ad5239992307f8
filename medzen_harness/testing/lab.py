"""pytest fixtures for the embedded lab (loaded by the root conftest as a plugin).

`lab`: one private lab for the whole session (started on first use, ~2 s, removed at the
end). A test that breaks it must call `lab.restore()` (drills always do).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from medzen_harness.lab.client import Lab


def lab_prerequisites_missing() -> str | None:
    from medzen_harness.errors import HarnessError
    from medzen_harness.lab.haproxy import haproxy_binary
    from medzen_harness.lab.postgres import pg_bin

    try:
        pg_bin("postgres")
        haproxy_binary()
    except HarnessError as error:
        return str(error)
    return None


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    missing = lab_prerequisites_missing()
    if missing:
        pytest.fail(f"the embedded lab cannot start: {missing}")
    running = Lab.up()
    try:
        yield running
    finally:
        running.down()


@pytest.fixture
def steady_lab(lab: Lab) -> Iterator[Lab]:
    """The session lab, restored to its original topology after the test."""
    yield lab
    lab.restore()


@pytest.fixture
def lab_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A run dir for a detached (`lab up`) lab private to one test."""
    path = tmp_path_factory.mktemp("labrun")
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)
