"""`medzen-harness lab up|down|status`: the embedded lab as a long-running environment."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from medzen_harness.config import load_config
from medzen_harness.errors import HarnessError
from medzen_harness.lab.client import (
    Lab,
    default_run_dir,
    kill_leftovers,
    pid_alive,
    read_state,
    remove_lab_dirs,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lab", help="start, stop or show the embedded regional lab (Postgres primary/standby, EHR API, HAProxy)",
        description="The embedded lab: two regions on 127.0.0.1. `up` leaves it running (state in "
                    "$MEDZEN_LAB_DIR or /tmp/medzen-lab-<uid>) until `down`.")
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--config", help="config override file (default: config/medzen.yaml)")
    parser.add_argument("--run-dir", type=Path, help="lab state directory (default: $MEDZEN_LAB_DIR or /tmp/medzen-lab-<uid>)")
    parser.add_argument("--json", dest="json_path", type=Path, help="write the lab state as JSON to this file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    run_dir = Path(args.run_dir or config["lab"].get("run_dir") or default_run_dir())
    if args.action == "up":
        lab = Lab.up(config, run_dir=run_dir, detached=True)
        print(describe(lab.refresh()))
        _write_json(args.json_path, lab.state)
        return 0
    if args.action == "down":
        return lab_down(run_dir)
    state = read_state(run_dir)
    if not state or not pid_alive(state.get("supervisor_pid")):
        print(f"no lab running (run dir {run_dir})")
        _write_json(args.json_path, {"running": False})
        return 0
    lab = Lab(run_dir, state)
    print(describe(state, lab.health()))
    _write_json(args.json_path, {"running": True, **state})
    return 0


def lab_down(run_dir: Path) -> int:
    state = read_state(run_dir)
    if state is None:
        if run_dir.exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        print(f"no lab running (run dir {run_dir})")
        return 0
    if not pid_alive(state.get("supervisor_pid")):
        killed = kill_leftovers(state)
        remove_lab_dirs(run_dir, state)
        print(f"lab supervisor was gone; killed {len(killed)} leftover process group(s), removed {run_dir}")
        return 0
    Lab(run_dir, state).down()
    if run_dir.exists():
        raise HarnessError(f"could not remove {run_dir}; remove it by hand")
    print(f"lab stopped, {run_dir} removed")
    return 0


def describe(state: dict[str, Any], health: dict[str, Any] | None = None) -> str:
    host, port = state["global_endpoint"]
    lines = [f"lab in {state['run_dir']} (supervisor pid {state['supervisor_pid']})",
             f"  global endpoint   http://{host}:{port}  (HAProxy, admin socket {state['haproxy']['admin_socket']})",
             f"  primary region    {state['primary']}"]
    for name, region in state["regions"].items():
        endpoint = region["endpoint"]
        line = (f"  {name:<17} {region['role']:<8} EHR API http://{endpoint[0]}:{endpoint[1]} "
                f"({len(region['api_pids'])} process(es)), postgres 127.0.0.1:{region['db_port']} pid {region['db_pid']}")
        lines.append(line)
    if health:
        lines.append(f"  haproxy           {health.get('haproxy')}")
        lines.append(f"  replication       {health.get('replication')}")
    return "\n".join(lines)


def _write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, default=str))
