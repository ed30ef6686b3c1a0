"""Issue #17 (host calls, start-up, queries): two MCP servers over stdio, the official Python client.

Run by bench/speed_core.py with the benchmark venv's python (it has `mcp` and goldfish-ml 0.4.6):

    python speed_core_mcp.py --ours GOLDFISH --theirs VENV/bin/goldfish --runs 1000,100000 --repeat 3

For each number of runs both servers get a fresh project seeded as bench/mcp_latency.py seeds
them (finished stage runs in each one's own schema); ours also gets what goldfish-ml's seed has:
an experiment record per run and auto results not finalized, so every run awaits finalization
on both sides. Then, per server, `--repeat` sessions:
- cold: process start to the answers of `initialize`, `tools/list` and a first `status` (goldfish-ml's
  daemon is stopped before each of its sessions, as its own cold start);
- per call: in the same session, `status`, `inspect_run` (a run in the middle) and `list_history`
  (20 newest), each `--calls` times after a first call of its kind; the median of those is the
  call's cost with the server up (goldfish-ml's daemon then runs).
Prints one JSON object.
"""
import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import mcp_latency as shared

CALLS = ["status", "inspect_run", "list_history"]


def checked(step, result):
    if getattr(result, "isError", False) or getattr(result, "is_error", False):
        raise RuntimeError(f"{step} failed: {result.content[0].text if result.content else result}")
    return result


async def session(command, args, env, cwd, run_id, calls):
    params = StdioServerParameters(command=command, args=args, env=env, cwd=str(cwd))
    timings = {name: [] for name in CALLS}
    start = time.perf_counter()
    with open(shared.SERVER_LOG, "a") as log:
        async with stdio_client(params, errlog=log) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                await client.list_tools()
                checked("status", await client.call_tool("status", {}))
                cold = time.perf_counter() - start
                requests = {
                    "status": lambda: client.call_tool("status", {}),
                    "inspect_run": lambda: client.call_tool("inspect_run", {"run_id": run_id}),
                    "list_history": lambda: client.call_tool("list_history",
                                                             {"workspace": shared.WORKSPACE, "limit": 20}),
                }
                for name in CALLS:
                    checked(name, await requests[name]())  # the first of its kind is not counted
                    for _ in range(calls):
                        begin = time.perf_counter()
                        checked(name, await requests[name]())
                        timings[name].append(time.perf_counter() - begin)
    return cold, {name: statistics.median(samples) for name, samples in timings.items()}


def measure(label, command, args, env, cwd, run_id, repeat, calls, before=None):
    colds, per_call, failures = [], {name: [] for name in CALLS}, []
    while len(colds) < repeat:
        if before:
            before()
        try:
            cold, medians = asyncio.run(session(command, args, env, cwd, run_id, calls))
        except Exception as failure:
            failures.append(shared.describe(failure))
            print(f"{label}: session failed: {failures[-1]}", file=sys.stderr)
            if len(failures) > repeat:
                raise RuntimeError(f"{label}: {len(failures)} sessions failed, last: {failures[-1]}")
            continue
        colds.append(cold)
        for name in CALLS:
            per_call[name].append(medians[name])
    return {"cold": statistics.median(colds), **{name: statistics.median(v) for name, v in per_call.items()},
            "failed_sessions": failures}


def seed_records(project, runs):
    """A record and auto results per seeded run, as goldfish-ml's seed writes them."""
    db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
    with db:
        db.executemany(
            "INSERT INTO experiment_records (id, workspace, kind, stage_run_id, stage, version, created_at)"
            " VALUES (?, ?, 'run', ?, ?, 1, ?)",
            [(f"01J{i:023d}", shared.WORKSPACE, f"stage-{i:012x}", f"s{i % 3}", shared.stamp(i)) for i in range(runs)])
        db.executemany(
            "INSERT INTO run_results (stage_run_id, record_id, workspace, stage, results_status, infra_outcome)"
            " VALUES (?, ?, ?, ?, 'auto', 'completed')",
            [(f"stage-{i:012x}", f"01J{i:023d}", shared.WORKSPACE, f"s{i % 3}") for i in range(runs)])
    db.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True)
    parser.add_argument("--theirs", required=True)
    parser.add_argument("--runs", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    result = {}
    shared.SERVER_LOG.write_text("")
    for runs in [int(part) for part in args.runs.split(",") if part]:
        work = Path(tempfile.mkdtemp(prefix="gf-bench-core-"))
        entry = {}
        run_id = f"stage-{runs // 2:012x}"
        try:
            ours_env = {**shared.os.environ, "GOLDFISH_LOG_LEVEL": "warning"}
            ours_env.pop("GOLDFISH_PLUGIN_PATH", None)
            project = shared.seed_ours(args.ours, work / "ours" / "bench", runs)
            seed_records(project, runs)
            entry["ours"] = measure("goldfish", args.ours, ["serve", "--project", str(project)], ours_env, project,
                                    run_id, args.repeat, args.calls)
            home = work / "home"
            home.mkdir()
            theirs_env = shared.theirs_environment(home)
            theirs_root = work / "theirs" / "bench"
            theirs_root.parent.mkdir(parents=True)
            try:
                shared.seed_theirs(args.theirs, theirs_root, runs, theirs_env)
                serve = ["serve", "--project", str(theirs_root)]
                entry["theirs"] = measure(
                    "goldfish-ml", args.theirs, serve, theirs_env, theirs_root, run_id, args.repeat, args.calls,
                    before=lambda: shared.stop_theirs(args.theirs, theirs_root, theirs_env))
            except Exception as failure:
                entry["theirs_error"] = shared.describe(failure)
                traceback.print_exc(file=sys.stderr)
            finally:
                shared.stop_theirs(args.theirs, theirs_root, theirs_env)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result[str(runs)] = entry
    print(json.dumps(result))


if __name__ == "__main__":
    main()
