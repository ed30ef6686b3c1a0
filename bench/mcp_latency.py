"""Agent latency of two MCP servers over stdio, driven by the official Python MCP client.

Run by bench/run.py with the benchmark venv's python (it has `mcp` and goldfish-ml 0.4.6):

    python mcp_latency.py --ours GOLDFISH --theirs VENV/bin/goldfish --runs 1000 --repeat 5

Each server gets a fresh project with one workspace holding `--runs` finished stage runs, seeded
in its own database schema, then `--repeat` sessions each time: process start to the
`initialize` answer, `tools/list`, `status`, `inspect_workspace` and `list_history`. goldfish-ml
answers through a daemon its proxy spawns: it is measured cold (daemon stopped before every
session) and warm (daemon left running), ours has no daemon. Prints one JSON object.
"""
import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REASON = "benchmark setup of a project with many runs"
WORKSPACE = "bench"
STEPS = ["initialize", "tools/list", "status", "inspect_workspace", "list_history"]


SERVER_LOG = Path(tempfile.gettempdir()) / "goldfish-bench-mcp-server.log"


async def one_session(command, args, env, cwd):
    """Times every step of one session; the server process starts inside the clock."""
    timings = {}
    params = StdioServerParameters(command=command, args=args, env=env, cwd=str(cwd))
    start = time.perf_counter()
    with open(SERVER_LOG, "a") as log:
        async with stdio_client(params, errlog=log) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                timings["initialize"] = time.perf_counter() - start
                for step, call in [
                    ("tools/list", lambda: client.list_tools()),
                    ("status", lambda: client.call_tool("status", {})),
                    ("inspect_workspace", lambda: client.call_tool("inspect_workspace", {"name": WORKSPACE})),
                    ("list_history", lambda: client.call_tool("list_history", {"workspace": WORKSPACE, "limit": 20})),
                ]:
                    begin = time.perf_counter()
                    result = await call()
                    timings[step] = time.perf_counter() - begin
                    if getattr(result, "isError", False) or getattr(result, "is_error", False):
                        raise RuntimeError(f"{step} failed: {result.content[0].text if result.content else result}")
                    if step == "list_history":
                        content = getattr(result, "structuredContent", None) or getattr(result, "structured_content", None)
                        if content is None and result.content:
                            content = json.loads(result.content[0].text)
                        timings["history_total"] = content.get("total")
    return timings


async def setup_call(command, args, env, cwd, name, arguments):
    params = StdioServerParameters(command=command, args=args, env=env, cwd=str(cwd))
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                result = await client.call_tool(name, arguments)
                if getattr(result, "isError", False) or getattr(result, "is_error", False):
                    raise RuntimeError(f"{name} failed: {result.content[0].text}")


def stamp(index):
    """Distinct, increasing RFC 3339 times, one minute apart, in 2026."""
    seconds = index * 60
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1767225600 + seconds)) + ".000Z"


def seed_ours(goldfish, root, runs):
    subprocess.run([goldfish, "init", "bench", "--path", str(root)], check=True, capture_output=True)
    subprocess.run([goldfish, "workspace", "create", WORKSPACE, "--goal", "many runs", "--reason", REASON],
                   cwd=root, check=True, capture_output=True)
    db = sqlite3.connect(root / ".goldfish" / "goldfish.db")
    with db:
        db.executemany(
            "INSERT INTO stage_runs (id, workspace, version, pipeline, stage, state, state_entered_at, created_at,"
            " finished_at, reason, backend, exit_code) VALUES (?, ?, 1, 'pipeline', ?, 'completed', ?, ?, ?,"
            " 'benchmark run', 'process', 0)",
            [(f"stage-{i:012x}", WORKSPACE, f"s{i % 3}", stamp(i), stamp(i), stamp(i)) for i in range(runs)])
    db.close()
    return root


def seed_theirs(goldfish, root, runs, env):
    """goldfish-ml's own init and create_workspace, then runs in its schema: a stage run, its
    experiment record and its auto results, all on the workspace's first version."""
    subprocess.run([goldfish, "init", "bench", "--path", str(root)], check=True, capture_output=True, env=env)
    # Its proxy gives up on a daemon that is slow to come up (a loaded machine): ask again.
    for attempt in range(3):
        try:
            asyncio.run(setup_call(goldfish, ["serve", "--project", str(root)], env, root, "create_workspace",
                                   {"name": WORKSPACE, "goal": "many runs", "reason": REASON}))
            break
        except Exception as failure:
            text = describe(failure) + str(failure)
            # A timed-out attempt may still have created it: the retry then finds it there.
            if attempt > 0 and "already exists" in text:
                break
            if attempt == 2 or "Timeout" not in text:
                raise
            print(f"create_workspace: {describe(failure)}; again", file=sys.stderr)
    stop_theirs(goldfish, root, env)
    dev = root.parent / "bench-dev"
    db = sqlite3.connect(dev / ".goldfish" / "goldfish.db")
    version = db.execute("SELECT version FROM workspace_versions WHERE workspace_name = ? ORDER BY created_at LIMIT 1",
                         (WORKSPACE,)).fetchone()
    if version is None:
        db.execute("INSERT INTO workspace_versions (workspace_name, version, git_tag, git_sha, created_at, created_by)"
                   " VALUES (?, 'v1', 'bench-v1', '0000000000000000000000000000000000000000', ?, 'manual')",
                   (WORKSPACE, stamp(0)))
        version = ("v1",)
    with db:
        db.executemany(
            "INSERT INTO stage_runs (id, workspace_name, pipeline_name, version, stage_name, status, started_at,"
            " completed_at, state, state_entered_at, reason_json, backend_type)"
            " VALUES (?, ?, 'pipeline', ?, ?, 'completed', ?, ?, 'completed', ?, ?, 'local')",
            [(f"stage-{i:012x}", WORKSPACE, version[0], f"s{i % 3}", stamp(i), stamp(i), stamp(i),
              json.dumps({"description": "benchmark run"})) for i in range(runs)])
        db.executemany(
            "INSERT INTO experiment_records (record_id, workspace_name, type, stage_run_id, version, created_at)"
            " VALUES (?, ?, 'run', ?, ?, ?)",
            [(f"01J{i:023d}", WORKSPACE, f"stage-{i:012x}", version[0], stamp(i)) for i in range(runs)])
        db.executemany(
            "INSERT INTO run_results (stage_run_id, record_id, results_status, infra_outcome, ml_outcome)"
            " VALUES (?, ?, 'auto', 'completed', 'unknown')",
            [(f"stage-{i:012x}", f"01J{i:023d}") for i in range(runs)])
    db.close()
    return root


def theirs_environment(home):
    """A private home (git then needs an identity for goldfish-ml's own commits) and no web UI."""
    identity = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost", "GIT_COMMITTER_NAME": "bench",
                "GIT_COMMITTER_EMAIL": "bench@localhost"}
    return {**os.environ, **identity, "HOME": str(home), "GOLDFISH_NO_WEB": "1"}


def stop_theirs(goldfish, root, env):
    subprocess.run([goldfish, "stop", "--project", str(root)], capture_output=True, env=env)


def measure(label, command, args, env, cwd, repeat, before=None):
    samples, failures = [], []
    while len(samples) < repeat:
        if before:
            before()
        try:
            samples.append(asyncio.run(one_session(command, args, env, cwd)))
        except Exception as failure:  # noted with the server's log; a second failure in a row ends it
            failures.append(describe(failure))
            print(f"{label}: session failed: {failures[-1]}; server log {SERVER_LOG}", file=sys.stderr)
            if len(failures) > repeat:
                raise RuntimeError(f"{label}: {len(failures)} sessions failed, last: {failures[-1]}")
    medians = {step: statistics.median(sample[step] for sample in samples) for step in STEPS}
    medians["history_total"] = samples[-1].get("history_total")
    return {"label": label, "median_seconds": medians, "repeat": repeat, "failed_sessions": failures}


def describe(failure):
    """The innermost error of an exception group (anyio wraps a dead server's error twice)."""
    while isinstance(failure, BaseExceptionGroup) and failure.exceptions:
        failure = failure.exceptions[0]
    return f"{type(failure).__name__}: {failure}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True)
    parser.add_argument("--theirs", required=True)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gf-bench-mcp-"))
    result = {"runs": args.runs}
    ours_env = {**os.environ, "GOLDFISH_LOG_LEVEL": "warning"}
    ours_env.pop("GOLDFISH_PLUGIN_PATH", None)
    SERVER_LOG.write_text("")
    project = seed_ours(args.ours, work / "ours" / "bench", args.runs)
    result["ours"] = measure("goldfish (Swift)", args.ours, ["serve", "--project", str(project)], ours_env, project,
                             args.repeat)
    # goldfish-ml keeps its sockets and web-server files under ~; give it a private home and no web UI.
    home = work / "home"
    home.mkdir()
    theirs_env = theirs_environment(home)
    theirs_root = work / "theirs" / "bench"
    theirs_root.parent.mkdir(parents=True)
    try:
        seed_theirs(args.theirs, theirs_root, args.runs, theirs_env)
        serve = ["serve", "--project", str(theirs_root)]
        result["theirs_cold"] = measure("goldfish-ml 0.4.6, daemon stopped first", args.theirs, serve, theirs_env,
                                        theirs_root, args.repeat, before=lambda: stop_theirs(args.theirs, theirs_root,
                                                                                              theirs_env))
        result["theirs_warm"] = measure("goldfish-ml 0.4.6, daemon running", args.theirs, serve, theirs_env,
                                        theirs_root, args.repeat)
    except Exception as failure:  # the row says why instead of stopping the whole benchmark
        result["theirs_error"] = describe(failure)
        traceback.print_exc(file=sys.stderr)
    finally:
        stop_theirs(args.theirs, theirs_root, theirs_env)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
