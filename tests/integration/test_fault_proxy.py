"""The fault proxy against a real TCP echo server on loopback."""

import socket
import socketserver
import statistics
import threading
import time

import pytest

from medzen_harness.errors import HarnessError
from medzen_harness.lab.fault_proxy import FaultProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except ConnectionError:
            pass  # the reset tests reset on purpose


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo_server):
    with FaultProxy("127.0.0.1", echo_server, name="echo") as running:
        yield running


def _round_trip(port: int, payload: bytes = b"ping", timeout: float = 2.0) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        started = time.perf_counter()
        conn.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            received += chunk
        assert received == payload
        return time.perf_counter() - started


def test_transparent_by_default(proxy):
    assert _round_trip(proxy.port) < 0.05
    assert proxy.stats()["bytes_upstream"] == 4


def test_latency_is_added_per_direction(proxy):
    proxy.set_latency(upstream_ms=30, downstream_ms=50)
    samples = [_round_trip(proxy.port) for _ in range(5)]
    assert 0.080 <= statistics.median(samples) < 0.110


def test_jitter_keeps_byte_order(proxy):
    proxy.set_latency(upstream_ms=20, downstream_ms=20, jitter_ms=15)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=3) as conn:
        sent = b"".join(f"{i:05d}".encode() for i in range(200))
        for i in range(200):
            conn.sendall(f"{i:05d}".encode())
            time.sleep(0.001)
        received = b""
        while len(received) < len(sent):
            received += conn.recv(65536)
    assert received == sent


def test_blackhole_holds_traffic_until_heal(proxy):
    proxy.set_mode("blackhole")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=0.5) as conn:
        conn.sendall(b"lost?")
        with pytest.raises(socket.timeout):
            conn.recv(10)
        proxy.heal()
        conn.settimeout(2)
        assert conn.recv(10) == b"lost?"  # like TCP retransmission after a partition heals


def test_refuse_then_heal_listens_again(proxy):
    port = proxy.port
    proxy.set_mode("refuse")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    proxy.heal()
    assert proxy.port == port
    assert _round_trip(port) < 0.05


def test_reset_breaks_existing_and_new_connections(proxy):
    conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
    conn.sendall(b"a")
    assert conn.recv(1) == b"a"
    proxy.set_mode("reset")
    with pytest.raises((ConnectionResetError, BrokenPipeError, ConnectionError)):
        for _ in range(3):
            conn.sendall(b"b")
            if conn.recv(1) == b"":
                raise ConnectionError("closed")
    conn.close()
    with pytest.raises((ConnectionResetError, ConnectionError)):
        _round_trip(proxy.port)


def test_bandwidth_cap(proxy):
    proxy.set_bandwidth(200_000)  # bytes per second
    elapsed = _round_trip(proxy.port, b"x" * 100_000, timeout=5)
    assert elapsed >= 0.45  # 100 kB each way through a 200 kB/s cap


def test_upstream_down_looks_refused_to_the_client():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    dead_port = holder.getsockname()[1]
    holder.close()
    with FaultProxy("127.0.0.1", dead_port) as proxy, pytest.raises(ConnectionError):
        _round_trip(proxy.port)


def test_stop_frees_the_port(echo_server):
    proxy = FaultProxy("127.0.0.1", echo_server).start()
    port = proxy.port
    proxy.stop()
    proxy.stop()  # idempotent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_bad_input():
    with pytest.raises(HarnessError, match="loopback"):
        FaultProxy("10.0.0.5", 5432)
    with FaultProxy("127.0.0.1", 9) as proxy:
        with pytest.raises(HarnessError, match="unknown fault proxy mode"):
            proxy.set_mode("explode")
        with pytest.raises(HarnessError, match=">= 0"):
            proxy.set_latency(-1)
