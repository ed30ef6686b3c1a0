#!/usr/bin/env python3
"""The warm pool's benchmarks, each printed as a ratio against a baseline measured side by side.

    python3 bench/warm_pool.py [--goldfish PATH] [--repeat N] [--boot-delay S]

`bench_warm_pool(goldfish, repeat)` returns rows `(measure, ours, baseline measure, baseline)`
in seconds, as bench/run.py prints them:

* time from `goldfish run` to the job running (the job prints its own start time) on a warm
  worker against a launch without one: on the process backend a warm goldfish-agent against a
  fresh process (pool off); on gce (gcplocal + storage emulator + Tests/Fixtures/gce/vm_harness.py,
  whose boot delay stands for a VM boot) an idle VM against a cold launch (the pool emptied by
  `goldfish pool cleanup` before each sample). The gce part runs when GOLDFISH_GCE_ENDPOINT and
  STORAGE_EMULATOR_HOST are set (scripts/gcplocal.sh, scripts/gcs-emulator.sh).
* the cost of one status poll with 10,000 pool rows against 10 (rows seeded with SQL in one
  transaction into the project's real store): `goldfish status --json`, `goldfish pool status
  --json`, and over one MCP session (`goldfish serve`) `warm_pool_status` and `inspect_run`, with
  the reaper's lease held elsewhere (the command's own reads); and `status --json` when a reaper
  pass is due, which it then makes in passing (one backend probe per row).
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from projects import pin_backend

ROOT = Path(__file__).resolve().parent.parent
REASON = "benchmark the warm pool"
STAGE = "import time\nprint(f'GF_STARTED {time.time():.6f}', flush=True)\n"


def find_goldfish(explicit):
    if explicit:
        return str(Path(explicit).resolve())
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "goldfish"
        if candidate.exists():
            return str(candidate)
    sys.exit("no goldfish binary: run `swift build -c release` first or pass --goldfish")


def cli_env():
    env = dict(os.environ)
    env.pop("GOLDFISH_PLUGIN_PATH", None)
    return env


def goldfish_call(goldfish, project, *args):
    done = subprocess.run([goldfish, *args], cwd=project, env=cli_env(), check=True, capture_output=True, text=True)
    return done.stdout


def make_project(goldfish, parent, extra_config="", backend="process"):
    """A project whose pipeline has one stage, `probe`, printing the moment it starts."""
    project = parent / "bench"
    subprocess.run([goldfish, "init", "bench", "--path", str(project)], check=True, stdout=subprocess.DEVNULL)
    pin_backend(project / "goldfish.yaml", backend, extra_config)
    goldfish_call(goldfish, project, "workspace", "create", "w", "--goal", "bench", "--reason", REASON)
    goldfish_call(goldfish, project, "workspace", "mount", "w", "w1", "--reason", REASON)
    slot = project / "workspaces" / "w1"
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "modules" / "probe.py").write_text(STAGE)
    (slot / "pipeline.yaml").write_text("name: pipeline\nstages:\n  - name: probe\n    outputs: {}\n")
    return project


def latest_run(goldfish, project):
    runs = json.loads(goldfish_call(goldfish, project, "runs", "--json", "--limit", "1"))
    items = runs.get("runs", runs) if isinstance(runs, dict) else runs
    first = items[0]
    # `goldfish runs --json` names a stage run `stage_run_id`; older answers said `run_id` or `id`.
    return first.get("stage_run_id") or first.get("run_id") or first.get("id")


def run_to_start(goldfish, project):
    """Seconds from invoking `goldfish run` to the job's own first line; the run must complete."""
    start = time.time()
    subprocess.run([goldfish, "run", "w1", "probe", "--wait", "--rerun", "--reason", REASON], cwd=project,
                   env=cli_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_id = latest_run(goldfish, project)
    for line in goldfish_call(goldfish, project, "logs", run_id).splitlines():
        if line.startswith("GF_STARTED "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"run {run_id} printed no start time")


def samples(measure, repeat, setup=None):
    values = []
    for _ in range(repeat):
        if setup:
            setup()
        values.append(measure())
    return statistics.median(values)


POOL = "\n{section}:\n  warm_pool:\n    enabled: true\n    max_instances: 2\n    idle_timeout_seconds: 600\n"


def bench_start_process(goldfish, repeat):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-warm-"))
    try:
        warm = make_project(goldfish, work / "warm", POOL.format(section="process"))
        fresh = make_project(goldfish, work / "fresh")
        run_to_start(goldfish, warm)  # leaves a worker idle
        ours = samples(lambda: run_to_start(goldfish, warm), repeat)
        base = samples(lambda: run_to_start(goldfish, fresh), repeat)
        goldfish_call(goldfish, warm, "pool", "cleanup", "--json")
        return [("run → job running, process: warm agent", ours, "fresh process (pool off)", base)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_start_gce(goldfish, repeat, boot_delay):
    endpoint = os.environ.get("GOLDFISH_GCE_ENDPOINT")
    storage = os.environ.get("STORAGE_EMULATOR_HOST")
    agent = Path(goldfish).parent / "goldfish-agent"
    if not (endpoint and storage and agent.exists()):
        print("gce part skipped: needs GOLDFISH_GCE_ENDPOINT, STORAGE_EMULATOR_HOST and goldfish-agent", file=sys.stderr)
        return []
    bucket = os.environ.get("GOLDFISH_GCS_BUCKET", "goldfish-test")
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "POST", "-H", "content-type: application/json",
                    "--data", json.dumps({"name": bucket}), f"{storage}/storage/v1/b"], check=True)
    cloud = "gf-bench-" + uuid.uuid4().hex[:8]
    prefix = "bench-" + uuid.uuid4().hex[:8]
    config = (
        f"\ngcs:\n  bucket: {bucket}\n  prefix: {prefix}/storage\n  endpoint: {storage}\n"
        f"gce:\n  project_id: {cloud}\n  api_endpoint: {endpoint}\n  zones: [us-central1-a]\n"
        f"  mailbox_prefix: {prefix}/mailbox\n  operation_poll_seconds: 0.05\n"
        "  warm_pool:\n    enabled: true\n    max_instances: 2\n    idle_timeout_seconds: 600\n")
    work = Path(tempfile.mkdtemp(prefix="gf-bench-gce-"))
    harness = subprocess.Popen(
        [sys.executable, str(ROOT / "Tests/Fixtures/gce/vm_harness.py"), "--api", endpoint, "--project", cloud,
         "--zones", "us-central1-a", "--agent", str(agent), "--work", str(work / "vms"),
         "--boot-delay", str(boot_delay), "--poll", "0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ, STORAGE_EMULATOR_HOST=storage))
    try:
        harness.stdout.readline()  # "ready"
        project = make_project(goldfish, work / "p", config, "gce")
        text = (project / "goldfish.yaml").read_text()
        text = text.replace("  backend: file", "  backend: gcs")
        (project / "goldfish.yaml").write_text(text)

        def empty_pool():
            goldfish_call(goldfish, project, "pool", "cleanup", "--json")
            time.sleep(0.5)  # the harness stops the deleted VMs' agents

        cold = samples(lambda: run_to_start(goldfish, project), repeat, setup=empty_pool)
        run_to_start(goldfish, project)  # leaves a VM idle
        warm = samples(lambda: run_to_start(goldfish, project), repeat)
        goldfish_call(goldfish, project, "pool", "cleanup", "--json")
        return [(f"run → job running, gce: idle VM", warm, f"cold launch (boot {boot_delay:g} s)", cold)]
    finally:
        harness.stdin.close()
        harness.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def seed_workers(project, count, reaper_due):
    """`count` idle pool rows of the process backend, in one transaction. With `reaper_due` the
    reaper's leader lease is free, so the next CLI command makes a reaper pass in passing (one
    probe per row); without, another holder keeps it and only the command's own reads are timed."""
    db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    gone = project / "gone-workers"  # never created: each probe answers not_found
    with db:
        db.execute("DELETE FROM warm_workers")
        db.executemany(
            "INSERT INTO warm_workers (worker_id, backend, compat_key, state, worker_handle, created_at,"
            " state_entered_at, idle_timeout_seconds, lifetime_seconds)"
            " VALUES (?, 'process', 'bench', 'idle_ready', ?, ?, ?, 86400, 604800)",
            [(f"gw-bench-{i:06d}", json.dumps({"backend": "process", "worker_id": f"gw-bench-{i:06d}",
                                                "folder": str(gone / f"gw-bench-{i:06d}"),
                                                "mailbox": f"file://{gone}/mailbox"}), now, now)
             for i in range(count)])
        db.execute("DELETE FROM leases WHERE name = 'warm-pool-reaper'")
        if not reaper_due:
            db.execute("INSERT INTO leases (name, holder, expires_at)"
                       " VALUES ('warm-pool-reaper', 'bench: another process', '9999-12-31T00:00:00.000Z')")
    db.close()


class MCPSession:
    """`goldfish serve` spoken to over stdio (newline-delimited JSON-RPC), as an MCP client does."""

    def __init__(self, goldfish, project):
        self.process = subprocess.Popen([goldfish, "serve"], cwd=project, env=cli_env(), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "0"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            answer = json.loads(self.process.stdout.readline())
            if answer.get("id") == self.next_id:
                if "error" in answer or answer.get("result", {}).get("isError"):
                    raise RuntimeError(f"{method}: {answer}")
                return answer["result"]

    def timed_tool(self, name, arguments, repeat):
        values = []
        for _ in range(repeat):
            start = time.perf_counter()
            self.request("tools/call", {"name": name, "arguments": arguments})
            values.append(time.perf_counter() - start)
        return statistics.median(values)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def timed_cli(goldfish, project, args, repeat, setup):
    values = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        goldfish_call(goldfish, project, *args)
        values.append(time.perf_counter() - start)
    return statistics.median(values)


def bench_poll(goldfish, repeat, sizes=(10, 10_000)):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-poll-"))
    try:
        project = make_project(goldfish, work, POOL.format(section="process"))
        run_to_start(goldfish, project)
        run_id = latest_run(goldfish, project)
        goldfish_call(goldfish, project, "pool", "cleanup", "--json")
        results = {}
        for size in sizes:
            def quiet():
                seed_workers(project, size, reaper_due=False)

            def due():
                seed_workers(project, size, reaper_due=True)

            status = timed_cli(goldfish, project, ["status", "--json"], repeat, quiet)
            pool = timed_cli(goldfish, project, ["pool", "status", "--json"], repeat, quiet)
            reaping = timed_cli(goldfish, project, ["status", "--json"], min(repeat, 2), due)
            quiet()
            session = MCPSession(goldfish, project)
            try:
                mcp_pool = session.timed_tool("warm_pool_status", {}, repeat * 4)
                mcp_run = session.timed_tool("inspect_run", {"run_id": run_id}, repeat * 4)
            finally:
                session.close()
            results[size] = (status, reaping, pool, mcp_pool, mcp_run)
        small, large = sizes
        names = ["goldfish status --json", "status --json + reaper pass in passing", "goldfish pool status --json",
                 "MCP warm_pool_status", "MCP inspect_run (run status lookup)"]
        return [(f"{name}, {large:,} pool rows", results[large][i], f"{small} pool rows", results[small][i])
                for i, name in enumerate(names)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_warm_pool(goldfish, repeat, boot_delay=3.0):
    return bench_start_process(goldfish, repeat) + bench_start_gce(goldfish, repeat, boot_delay) + bench_poll(
        goldfish, repeat)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--boot-delay", type=float, default=3.0, help="seconds the harness waits to boot a VM")
    args = parser.parse_args()
    goldfish = find_goldfish(args.goldfish)
    rows = bench_warm_pool(goldfish, args.repeat, args.boot_delay)
    print(f"goldfish: {goldfish}")
    print(f"{'measure':62} {'ours':>10}  {'baseline':32} {'base':>9}  {'ratio':>7}")
    for name, ours, baseline, base in rows:
        print(f"{name:62} {ours*1000:8.1f}ms  {baseline:32} {base*1000:8.1f}ms  {ours/base:6.2f}x")


if __name__ == "__main__":
    main()
