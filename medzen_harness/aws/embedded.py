"""The embedded AWS: one moto server on 127.0.0.1 (all regions, separate state per region),
reached by boto3 over HTTP exactly like real AWS."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from medzen_harness.errors import HarnessError

# moto needs *some* credentials; these never leave loopback.
EMBEDDED_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
EMBEDDED_ACCOUNT_ID = "123456789012"  # moto's default account


class EmbeddedAws:
    """A moto server on a free loopback port. Use as a context manager; `stop()` is idempotent."""

    def __init__(self, port: int = 0):
        self.requested_port = port
        self._server: ThreadedMotoServer | None = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise HarnessError("embedded AWS is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedAws:
        if self.requested_port:
            probe = socket.socket()
            try:
                probe.bind(("127.0.0.1", self.requested_port))
            except OSError as error:
                raise HarnessError(
                    f"port {self.requested_port} on 127.0.0.1 is already taken; choose another or use 0 (any free port)"
                ) from error
            finally:
                probe.close()
        # werkzeug logs every request to stderr; the 3 a.m. reader wants our lines, not those
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.requested_port, verbose=False)
        self._server.start()
        self.port = self._server._server.server_port  # the actual port when 0 was asked for
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            self.port = None

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def embedded_aws(port: int = 0) -> Iterator[EmbeddedAws]:
    with EmbeddedAws(port) as server:
        yield server
