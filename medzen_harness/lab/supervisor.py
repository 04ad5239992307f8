"""The lab supervisor: one process that owns a running lab.

`python -m medzen_harness.lab.supervisor --run-dir D [--parent-pid P] [--max-lifetime S]`
starts the lab (LabRuntime), writes `D/state.json` (ports, pids, roles) and answers
JSON-line requests on the Unix socket `D/control.sock`. Requests are executed one at a
time on the main thread (the thread that spawned every child, see processes.py).

It stops — killing every child and removing the data — on a `shutdown` request, on
SIGTERM/SIGINT, when its parent process (`--parent-pid`, a drill or a pytest run owning
a private lab) disappears, or after `--max-lifetime` seconds. If it is killed -9 its
children die with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import signal
import socketserver
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from medzen_harness.errors import HarnessError
from medzen_harness.lab.runtime import LabRuntime, LabSettings

STATE_FILE = "state.json"
CONTROL_SOCKET = "control.sock"
SETTINGS_FILE = "settings.json"
REQUEST_TIMEOUT_SECONDS = 180.0

# op name -> LabRuntime method; everything else is refused
OPERATIONS = {
    "state": "state",
    "health": "health",
    "proxy": "proxy",
    "kill_database": "kill_database",
    "kill_services": "kill_services",
    "isolate_region": "isolate_region",
    "scale": "scale",
    "promote": "promote",
    "set_server_state": "set_server_state",
    "server_states": "server_states",
    "fail_region": "fail_region",
    "restore": "restore",
}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str))
    os.chmod(temporary, 0o600)
    temporary.replace(path)


class _Request:
    def __init__(self, op: str, args: dict[str, Any]):
        self.op, self.args = op, args
        self.done = threading.Event()
        self.reply: dict[str, Any] = {}


def _make_handler(requests: queue.Queue[_Request]) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline()
            try:
                message = json.loads(line)
                request = _Request(str(message["op"]), dict(message.get("args") or {}))
            except (ValueError, KeyError, TypeError) as error:
                self._answer({"ok": False, "error": f"bad request: {error}"})
                return
            requests.put(request)
            if not request.done.wait(REQUEST_TIMEOUT_SECONDS):
                self._answer({"ok": False, "error": f"lab supervisor did not answer '{request.op}' in time"})
                return
            self._answer(request.reply)

        def _answer(self, reply: dict[str, Any]) -> None:
            with contextlib.suppress(OSError):
                self.wfile.write(json.dumps(reply, default=str).encode() + b"\n")

    return Handler


class _ControlServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def _execute(runtime: LabRuntime, request: _Request) -> dict[str, Any]:
    method = OPERATIONS.get(request.op)
    if method is None:
        return {"ok": False, "error": f"unknown lab operation '{request.op}'; use one of {', '.join(OPERATIONS)}"}
    try:
        return {"ok": True, "result": getattr(runtime, method)(**request.args)}
    except HarnessError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # reported to the caller, the lab keeps running
        traceback.print_exc()
        return {"ok": False, "error": f"{request.op} failed: {type(error).__name__}: {error}"}


def _parent_gone(parent_pid: int) -> bool:
    if not parent_pid:
        return False
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def serve(run_dir: Path, parent_pid: int, max_lifetime: float) -> int:
    settings = LabSettings.from_dict(json.loads((run_dir / SETTINGS_FILE).read_text()))
    runtime = LabRuntime(run_dir, settings)
    state_path = run_dir / STATE_FILE
    socket_path = run_dir / CONTROL_SOCKET
    requests: queue.Queue[_Request] = queue.Queue()
    server: _ControlServer | None = None
    started = time.monotonic()
    base = {"supervisor_pid": os.getpid(), "run_dir": str(run_dir), "control_socket": str(socket_path),
            "parent_pid": parent_pid, "started_at": time.time(), "data_dir": str(runtime.data_root)}

    def publish(**extra: Any) -> None:
        write_json_atomically(state_path, {**base, **extra})

    exit_code = 0
    orphaned = False  # nobody will call `down`: remove the run dir ourselves
    try:
        publish(ready=False)
        runtime.start()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        server = _ControlServer(str(socket_path), _make_handler(requests))
        os.chmod(socket_path, 0o600)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        publish(ready=True, **runtime.state())
        print(f"lab ready: global endpoint 127.0.0.1:{runtime.state()['global_endpoint'][1]}", flush=True)
        while True:
            try:
                request = requests.get(timeout=0.5)
            except queue.Empty:
                if _parent_gone(parent_pid):
                    print("parent process gone: stopping the lab", flush=True)
                    orphaned = True
                    break
                if max_lifetime and time.monotonic() - started > max_lifetime:
                    print(f"maximum lifetime {max_lifetime:.0f} s reached: stopping the lab", flush=True)
                    orphaned = True
                    break
                continue
            if request.op == "shutdown":
                request.reply = {"ok": True, "result": "stopping"}
                request.done.set()
                break
            request.reply = _execute(runtime, request)
            with contextlib.suppress(Exception):
                publish(ready=True, **runtime.state())  # before answering: callers re-read the state
            request.done.set()
    except KeyboardInterrupt:
        print("interrupted: stopping the lab", flush=True)
    except Exception as error:
        traceback.print_exc()
        with contextlib.suppress(Exception):
            publish(ready=False, error=f"{type(error).__name__}: {error}")
        exit_code = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish the clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if server is not None:
            server.shutdown()
            server.server_close()
        runtime.shutdown()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        if exit_code == 0:
            with contextlib.suppress(FileNotFoundError):
                state_path.unlink()
        print("lab stopped", flush=True)
        if orphaned:
            shutil.rmtree(run_dir, ignore_errors=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="embedded lab supervisor (started by medzen-harness lab up)")
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--parent-pid", type=int, default=0)
    parser.add_argument("--max-lifetime", type=float, default=0.0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    return serve(args.run_dir, args.parent_pid, args.max_lifetime)


if __name__ == "__main__":
    sys.exit(main())
