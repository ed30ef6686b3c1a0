#!/usr/bin/env python3
"""The gce backend on its local stand-in (gcplocal + storage emulator + VM harness), each row
against a baseline measured side by side:

    python3 bench/gce.py [--goldfish PATH] [--repeat N]

* `goldfish run --wait` of a trivial stage dispatched to an idle warm VM, against the stage
  itself (`python3 modules/probe.py` in the workspace): the difference is what gce adds to a
  warm run (mailbox round trips, the agent's poll, outputs and log coming home); target ≤ 1 s.
* launch → claimed: from the run entering `launching` to the agent's claim moving it to
  `running` (the stand-in's VM boots at once), cold against a warm VM (deliver → claimed).
  Read from the run's state transitions in the project's database.

Runs when GOLDFISH_GCE_ENDPOINT and STORAGE_EMULATOR_HOST are set (scripts/gce-local.sh, or
scripts/gcplocal.sh + scripts/gcs-emulator.sh) and goldfish-agent is built.
"""
import argparse
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import shutil
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from warm_pool import REASON, ROOT, cli_env, find_goldfish, goldfish_call, make_project, samples  # noqa: E402


def timed_run(goldfish, project):
    start = time.perf_counter()
    subprocess.run([goldfish, "run", "w1", "probe", "--wait", "--rerun", "--reason", REASON], cwd=project,
                   env=cli_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def stage_itself(project):
    start = time.perf_counter()
    subprocess.run([sys.executable, "modules/probe.py"], cwd=project / "workspaces" / "w1", check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def parse(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def launch_to_claimed(project):
    """Seconds from `launching` to `running` of the latest run, from its transitions."""
    db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
    try:
        run = db.execute("SELECT id FROM stage_runs ORDER BY created_at DESC LIMIT 1").fetchone()[0]
        rows = dict(db.execute(
            "SELECT to_state, created_at FROM stage_state_transitions WHERE stage_run_id = ? "
            "AND to_state IN ('launching', 'running')", (run,)).fetchall())
    finally:
        db.close()
    return (parse(rows["running"]) - parse(rows["launching"])).total_seconds()


def bench_gce(goldfish, repeat):
    endpoint = os.environ.get("GOLDFISH_GCE_ENDPOINT")
    storage = os.environ.get("STORAGE_EMULATOR_HOST")
    agent = Path(goldfish).parent / "goldfish-agent"
    if not (endpoint and storage and agent.exists()):
        print("gce section skipped: needs GOLDFISH_GCE_ENDPOINT, STORAGE_EMULATOR_HOST and goldfish-agent",
              file=sys.stderr)
        return []
    bucket = os.environ.get("GOLDFISH_GCS_BUCKET", "goldfish-test")
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "POST", "-H", "content-type: application/json",
                    "--data", json.dumps({"name": bucket}), f"{storage}/storage/v1/b"], check=True)
    cloud = "gf-bench-" + uuid.uuid4().hex[:8]
    prefix = "bench-gce-" + uuid.uuid4().hex[:8]
    config = (
        f"\ngcs:\n  bucket: {bucket}\n  prefix: {prefix}/storage\n  endpoint: {storage}\n"
        f"gce:\n  project_id: {cloud}\n  api_endpoint: {endpoint}\n  zones: [us-central1-a]\n"
        f"  mailbox_prefix: {prefix}/mailbox\n  operation_poll_seconds: 0.05\n"
        "  warm_pool:\n    enabled: true\n    max_instances: 1\n    idle_timeout_seconds: 600\n")
    work = Path(tempfile.mkdtemp(prefix="gf-bench-gce-"))
    harness = subprocess.Popen(
        [sys.executable, str(ROOT / "Tests/Fixtures/gce/vm_harness.py"), "--api", endpoint, "--project", cloud,
         "--zones", "us-central1-a", "--agent", str(agent), "--work", str(work / "vms"), "--boot-delay", "0",
         "--poll", "0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ, STORAGE_EMULATOR_HOST=storage))
    try:
        harness.stdout.readline()  # "ready"
        project = make_project(goldfish, work / "p", config, "gce")
        text = (project / "goldfish.yaml").read_text()
        text = text.replace("  backend: file", "  backend: gcs")
        (project / "goldfish.yaml").write_text(text)

        cold_claims = []

        def cold():
            goldfish_call(goldfish, project, "pool", "cleanup", "--json")
            time.sleep(0.5)  # the harness stops the deleted VMs' agents
            timed_run(goldfish, project)
            cold_claims.append(launch_to_claimed(project))

        for _ in range(repeat):
            cold()
        timed_run(goldfish, project)  # leaves the VM idle
        warm_claims = []

        def warm():
            seconds = timed_run(goldfish, project)
            warm_claims.append(launch_to_claimed(project))
            return seconds

        warm_run = samples(warm, repeat)
        itself = samples(lambda: stage_itself(project), repeat)
        goldfish_call(goldfish, project, "pool", "cleanup", "--json")
        median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
        return [
            ("gce stand-in: run --wait on an idle warm VM", warm_run, "the stage itself (python3)", itself),
            ("gce stand-in: launch → claimed, cold VM (boot 0 s)", median(cold_claims),
             "deliver → claimed, idle warm VM", median(warm_claims)),
        ]
    finally:
        harness.stdin.close()
        harness.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    goldfish = find_goldfish(args.goldfish)
    for measure, ours, baseline, base in bench_gce(goldfish, args.repeat):
        print(f"{measure}: {ours:.3f} s | {baseline}: {base:.3f} s | ratio {ours / base:.2f}× | over {ours - base:+.3f} s")


if __name__ == "__main__":
    main()
