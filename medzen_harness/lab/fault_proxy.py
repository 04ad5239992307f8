"""An asyncio TCP fault proxy: the lab's stand-in for netem/iptables/toxiproxy (none exist here).

One `FaultProxy` listens on 127.0.0.1 and forwards every connection to one upstream.
From Python (any thread) it can:
- add latency per direction, with jitter, *keeping byte order* (a chunk is never released
  before the one read before it — TCP does not reorder, so neither do we);
- `blackhole`: stop moving bytes in both directions, on existing and new connections,
  like packets dropped by a partition: senders block on full buffers and the application's
  own timeouts fire; on `heal` the held bytes flow again, as TCP retransmission would do;
- `refuse`: stop listening (connect → ECONNREFUSED) and reset existing connections;
- `reset`: answer every connection, existing and new, with a TCP RST;
- cap bandwidth (bytes per second, per direction, per connection).

Each proxy runs its own event loop in a daemon thread; `stop()` closes every socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from medzen_harness.errors import HarnessError

Mode = Literal["pass", "blackhole", "refuse", "reset"]
MODES: tuple[str, ...] = ("pass", "blackhole", "refuse", "reset")
CHUNK_BYTES = 64 * 1024
CONTROL_TIMEOUT_SECONDS = 5.0


@dataclass
class ProxyStats:
    connections_total: int = 0
    connections_active: int = 0
    bytes_upstream: int = 0
    bytes_downstream: int = 0
    upstream_connect_failures: int = 0


@dataclass(eq=False)  # identity-hashed: kept in a set
class _Connection:
    client_writer: asyncio.StreamWriter
    upstream_writer: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)


def _abort_with_rst(writer: asyncio.StreamWriter | None) -> None:
    """Close a connection with RST (SO_LINGER 0) instead of a graceful FIN."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """TCP proxy 127.0.0.1:port → upstream_host:upstream_port with injectable faults."""

    def __init__(self, upstream_host: str, upstream_port: int, name: str = "", listen_port: int = 0):
        if upstream_host not in ("127.0.0.1", "localhost", "::1"):
            # Embedded mode only ever targets this machine.
            raise HarnessError(f"fault proxy upstream must be on loopback, got {upstream_host}")
        self.upstream = (upstream_host, upstream_port)
        self.name = name or f"proxy->{upstream_port}"
        self._requested_port = listen_port
        self.port: int | None = None
        self.upstream_ms = 0.0
        self.downstream_ms = 0.0
        self.jitter_ms = 0.0
        self.bytes_per_second: int | None = None
        self.mode: Mode = "pass"
        self._stats = ProxyStats()
        self._connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._flowing: asyncio.Event | None = None
        self._random = random.Random()

    # ---- lifecycle -----------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        if self.port is None:
            raise HarnessError(f"fault proxy {self.name} is not running")
        return ("127.0.0.1", self.port)

    def start(self) -> FaultProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open_server())
            except BaseException as error:  # reported to the starting thread
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"fault-proxy {self.name}", daemon=True)
        self._thread.start()
        if not ready.wait(CONTROL_TIMEOUT_SECONDS) or failure:
            self._thread = None
            reason = failure[0] if failure else "timed out"
            raise HarnessError(f"fault proxy {self.name} could not listen on 127.0.0.1:{self._requested_port}: {reason}")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError, TimeoutError, asyncio.TimeoutError):
            self._call(self._close_everything())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT_SECONDS)
        self._thread = None
        self._loop = None
        self.port = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- control (callable from any thread) -------------------------------------------
    def set_latency(self, upstream_ms: float = 0.0, downstream_ms: float = 0.0, jitter_ms: float = 0.0) -> None:
        """Added one-way delay client→upstream and upstream→client; jitter is ± uniform."""
        if min(upstream_ms, downstream_ms, jitter_ms) < 0:
            raise HarnessError("latency and jitter must be >= 0 ms")
        self.upstream_ms, self.downstream_ms, self.jitter_ms = float(upstream_ms), float(downstream_ms), float(jitter_ms)

    def set_bandwidth(self, bytes_per_second: int | None) -> None:
        if bytes_per_second is not None and bytes_per_second <= 0:
            raise HarnessError("bandwidth cap must be a positive number of bytes per second (or None)")
        self.bytes_per_second = bytes_per_second

    def set_mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise HarnessError(f"unknown fault proxy mode '{mode}'; use one of {', '.join(MODES)}")
        self._call(self._apply_mode(mode))

    def heal(self) -> None:
        """Back to a transparent proxy: no latency, no cap, forwarding."""
        self.set_latency(0, 0, 0)
        self.set_bandwidth(None)
        self.set_mode("pass")

    def stats(self) -> dict[str, int | str | float | None]:
        return {
            "name": self.name,
            "mode": self.mode,
            "upstream_ms": self.upstream_ms,
            "downstream_ms": self.downstream_ms,
            "jitter_ms": self.jitter_ms,
            "bytes_per_second": self.bytes_per_second,
            **vars(self._stats),
        }

    # ---- internals (event-loop thread) --------------------------------------------------
    def _call(self, coroutine) -> object:
        if self._loop is None:
            coroutine.close()
            raise HarnessError(f"fault proxy {self.name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CONTROL_TIMEOUT_SECONDS)

    async def _open_server(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        port = self.port or self._requested_port
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _apply_mode(self, mode: Mode) -> None:
        assert self._flowing is not None
        previous, self.mode = self.mode, mode
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode in ("reset", "refuse"):
            self._reset_all()
        if mode == "refuse" and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if previous == "refuse" and mode != "refuse" and self._server is None:
            await self._open_server()  # listen again on the same port

    def _reset_all(self) -> None:
        for connection in list(self._connections):
            _abort_with_rst(connection.client_writer)
            _abort_with_rst(connection.upstream_writer)
            for task in connection.tasks:
                task.cancel()
        self._connections.clear()

    async def _close_everything(self) -> None:
        self._reset_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._stats.connections_total += 1
        if self.mode == "reset":
            _abort_with_rst(client_writer)
            return
        connection = _Connection(client_writer)
        self._connections.add(connection)
        self._stats.connections_active += 1
        try:
            assert self._flowing is not None
            await self._flowing.wait()  # a black-holed SYN never reaches the upstream
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                self._stats.upstream_connect_failures += 1
                _abort_with_rst(client_writer)  # the client sees what it would see: refused
                return
            connection.upstream_writer = upstream_writer
            connection.tasks = [
                asyncio.ensure_future(self._pump(client_reader, upstream_writer, "upstream")),
                asyncio.ensure_future(self._pump(upstream_reader, client_writer, "downstream")),
            ]
            to_upstream, to_client = connection.tasks
            done, _ = await asyncio.wait(connection.tasks, return_when=asyncio.FIRST_COMPLETED)
            # A client that half-closes (EOF forwarded) still gets the rest of the answer;
            # any other ending (error, server closed) ends the whole connection.
            if to_upstream in done and to_upstream.result() is True:
                await to_client
        except asyncio.CancelledError:
            pass
        finally:
            for task in connection.tasks:
                task.cancel()
            for writer in (client_writer, connection.upstream_writer):
                if writer is not None:
                    writer.close()
            self._connections.discard(connection)
            self._stats.connections_active -= 1

    def _delay_seconds(self, direction: str) -> float:
        base = self.upstream_ms if direction == "upstream" else self.downstream_ms
        jitter = self._random.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, base + jitter) / 1000.0

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str) -> bool:
        """Reader and writer halves joined by a queue, so delay does not throttle throughput.
        Returns True when the source ended cleanly (EOF forwarded), False on a socket error."""
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        assert self._flowing is not None
        flowing = self._flowing

        async def read_side() -> None:
            last_release = 0.0
            while True:
                await flowing.wait()
                try:
                    data = await reader.read(CHUNK_BYTES)
                except (ConnectionError, OSError):
                    await queue.put((0.0, None))  # tells the writer the source broke
                    return
                if not data:
                    await queue.put((last_release, b""))
                    return
                # never before the previous chunk: order is kept even with jitter
                last_release = max(last_release, time.monotonic() + self._delay_seconds(direction))
                await queue.put((last_release, data))

        async def write_side() -> bool:
            while True:
                release_at, data = await queue.get()
                if data is None:
                    return False
                wait = release_at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await flowing.wait()
                if not data:
                    with contextlib.suppress(OSError):
                        if writer.can_write_eof():
                            writer.write_eof()
                    return True
                if self.bytes_per_second:
                    # a capped link delivers a chunk only after its transmission time
                    await asyncio.sleep(len(data) / self.bytes_per_second)
                writer.write(data)
                await writer.drain()
                if direction == "upstream":
                    self._stats.bytes_upstream += len(data)
                else:
                    self._stats.bytes_downstream += len(data)

        reading = asyncio.ensure_future(read_side())
        try:
            return await write_side()
        except (ConnectionError, OSError):
            return False
        finally:
            reading.cancel()
