#!/usr/bin/env python3
"""Goldfish benchmarks, each printed as a ratio against a baseline run side by side.

    python3 bench/run.py [--goldfish PATH] [--repeat N] [--quick]

Builds nothing: pass the goldfish binary (default: the release build, then the debug one).
Every number is the median of --repeat runs on this machine, measured in this invocation.
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warm_pool import bench_warm_pool

ROOT = Path(__file__).resolve().parent.parent


def find_goldfish(explicit):
    if explicit:
        return explicit
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "goldfish"
        if candidate.exists():
            return str(candidate)
    sys.exit("no goldfish binary: run `swift build -c release` first or pass --goldfish")


def timed(command, cwd=None, env=None, setup=None, repeat=5):
    """Median wall time of a command, with an optional setup before each run (not timed)."""
    samples = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def goldfish_env():
    env = dict(os.environ)
    env.pop("GOLDFISH_PLUGIN_PATH", None)
    return env


def make_project(goldfish, parent):
    subprocess.run([goldfish, "init", "bench", "--path", str(parent / "bench")], check=True, stdout=subprocess.DEVNULL)
    project = parent / "bench"
    reason = ["--reason", "benchmark setup for timings"]
    subprocess.run([goldfish, "workspace", "create", "w", "--goal", "bench", *reason], cwd=project, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([goldfish, "workspace", "mount", "w", "w1", *reason], cwd=project, check=True,
                   stdout=subprocess.DEVNULL)
    return project


def write_files(folder, count, size=256):
    payload = os.urandom(size)
    for index in range(count):
        sub = folder / f"d{index % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{index}.txt").write_bytes(payload + str(index).encode())


def bench_provenance(goldfish, count, repeat):
    """sync + commit + tag of `count` files vs the git CLI doing the same vs a plain copy."""
    work = Path(tempfile.mkdtemp(prefix="gf-bench-"))
    try:
        project = make_project(goldfish, work)
        slot = project / "workspaces" / "w1"
        source = work / "source"
        write_files(source, count)
        counter = {"n": 0}

        def fresh_slot():
            counter["n"] += 1
            for entry in slot.iterdir():
                if entry.name != ".goldfish-mount":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            shutil.copytree(source, slot, dirs_exist_ok=True)
            (slot / "marker.txt").write_text(str(counter["n"]))

        ours = timed([goldfish, "workspace", "checkpoint", "w1", "--message", "bench"], cwd=project,
                     env=goldfish_env(), setup=fresh_slot, repeat=repeat)

        repo = work / "git"
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        git_env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
                       GIT_COMMITTER_EMAIL="b@b")

        def fresh_repo():
            counter["n"] += 1
            for entry in repo.iterdir():
                if entry.name != ".git":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            shutil.copytree(source, repo, dirs_exist_ok=True)
            (repo / "marker.txt").write_text(str(counter["n"]))

        script = f"git add -A && git commit -qm bench && git tag t{{}}"
        git_samples = []
        for index in range(repeat):
            fresh_repo()
            start = time.perf_counter()
            subprocess.run(["bash", "-c", script.format(f"{count}-{index}")], cwd=repo, env=git_env, check=True,
                           stdout=subprocess.DEVNULL)
            git_samples.append(time.perf_counter() - start)
        git = statistics.median(git_samples)

        def clear_copy():
            shutil.rmtree(work / "copy", ignore_errors=True)

        copy = timed(["cp", "-r", str(source), str(work / "copy")], setup=clear_copy, repeat=repeat)
        return [(f"provenance, {count} files: goldfish checkpoint", ours, "git add+commit+tag", git),
                (f"provenance, {count} files: goldfish checkpoint", ours, "plain copy (cp -r)", copy)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_plugins(goldfish, repeat):
    """Cold start to `plugins list --json` with every first-party plugin, vs `--version`."""
    listing = timed([goldfish, "plugins", "list", "--json"], env=goldfish_env(), repeat=repeat)
    bare = timed([goldfish, "--version"], env=goldfish_env(), repeat=repeat)
    return [("cold start to plugins list --json", listing, "cold start to --version", bare)]


def bench_execution(goldfish, repeat):
    """A trivial stage end to end on the process backend vs running the same file directly."""
    work = Path(tempfile.mkdtemp(prefix="gf-bench-"))
    try:
        project = make_project(goldfish, work)
        slot = project / "workspaces" / "w1"
        (slot / "modules").mkdir(exist_ok=True)
        (slot / "modules" / "hello.py").write_text("print('hello')\n")
        (slot / "pipeline.yaml").write_text(
            "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n")
        counter = {"n": 0}

        def change():
            counter["n"] += 1
            (slot / "modules" / "hello.py").write_text(f"print('hello {counter['n']}')\n")

        ours = timed([goldfish, "run", "w1", "--wait", "--reason", "benchmark a trivial stage"], cwd=project,
                     env=goldfish_env(), setup=change, repeat=repeat)
        direct = timed(["python3", str(slot / "modules" / "hello.py")], repeat=repeat)
        return [("trivial stage, run --wait (process)", ours, "python3 stage.py directly", direct)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_store(goldfish, repeat):
    """`status --json` with 10,000 run rows vs with 100."""
    results = {}
    for rows in (100, 10_000):
        work = Path(tempfile.mkdtemp(prefix="gf-bench-"))
        try:
            project = make_project(goldfish, work)
            db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
            now = "2026-01-01T00:00:00.000Z"
            db.executemany(
                "INSERT INTO stage_runs (id, workspace, version, pipeline, stage, state, state_entered_at, created_at, reason)"
                " VALUES (?, 'w', 1, 'p', 's', 'completed', ?, ?, 'benchmark rows')",
                [(f"stage-{i:012x}", now, now) for i in range(rows)])
            db.commit()
            db.close()
            results[rows] = timed([goldfish, "status", "--json"], cwd=project, env=goldfish_env(), repeat=repeat)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return [("status --json, 10,000 run rows", results[10_000], "status --json, 100 run rows", results[100])]


def peak(command, cwd=None, env=None):
    """Wall time and peak resident memory (MiB) of one run, via /usr/bin/time."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd, env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stderr.strip().splitlines()[-1]) / 1024


def bench_storage(goldfish, size_mb):
    """`goldfish storage put/get` of one object against cp (file) and curl (gcs emulator)."""
    rows = []
    work = Path(tempfile.mkdtemp(prefix="gf-bench-"))
    try:
        blob = work / "blob"
        with open(blob, "wb") as handle:
            for _ in range(size_mb):
                handle.write(os.urandom(1 << 20))
        project = make_project(goldfish, work)
        put = peak([goldfish, "storage", "put", str(blob), "bench/blob"], cwd=project, env=goldfish_env())
        get = peak([goldfish, "storage", "get", "bench/blob", str(work / "back")], cwd=project, env=goldfish_env())
        cp_put = peak(["cp", str(blob), str(work / "copy1")])
        cp_get = peak(["cp", str(work / "copy1"), str(work / "copy2")])
        rows.append((f"file put {size_mb} MiB (peak {put[1]:.0f} MiB)", put[0], f"cp (peak {cp_put[1]:.0f} MiB)", cp_put[0]))
        rows.append((f"file get {size_mb} MiB (peak {get[1]:.0f} MiB)", get[0], f"cp (peak {cp_get[1]:.0f} MiB)", cp_get[0]))
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if emulator:
            bucket = os.environ.get("GOLDFISH_GCS_BUCKET", "goldfish-test")
            config = project / "goldfish.yaml"
            text = config.read_text().replace("storage:\n  backend: file", "storage:\n  backend: gcs")
            config.write_text(text + f"\ngcs:\n  bucket: {bucket}\n")
            put = peak([goldfish, "storage", "put", str(blob), "bench/gcs-blob"], cwd=project, env=goldfish_env())
            get = peak([goldfish, "storage", "get", "bench/gcs-blob", str(work / "gcs-back")], cwd=project,
                       env=goldfish_env())
            curl_put = peak(["curl", "-sf", "-X", "POST", "--data-binary", f"@{blob}",
                             f"{emulator}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=bench/curl-blob"])
            curl_get = peak(["curl", "-sf", "-o", str(work / "curl-back"),
                             f"{emulator}/download/storage/v1/b/{bucket}/o/bench%2Fcurl-blob?alt=media"])
            rows.append((f"gcs put {size_mb} MiB (peak {put[1]:.0f} MiB)", put[0], f"curl (peak {curl_put[1]:.0f} MiB)", curl_put[0]))
            rows.append((f"gcs get {size_mb} MiB (peak {get[1]:.0f} MiB)", get[0], f"curl (peak {curl_get[1]:.0f} MiB)", curl_get[0]))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-file provenance case")
    parser.add_argument("--storage-mb", type=int, default=256, help="object size of the storage benchmark")
    args = parser.parse_args()
    goldfish = find_goldfish(args.goldfish)
    rows = []
    rows += bench_plugins(goldfish, args.repeat)
    rows += bench_execution(goldfish, args.repeat)
    rows += bench_store(goldfish, args.repeat)
    rows += bench_storage(goldfish, args.storage_mb)
    rows += bench_provenance(goldfish, 100, args.repeat)
    rows += bench_warm_pool(goldfish, min(args.repeat, 3))
    if not args.quick:
        rows += bench_provenance(goldfish, 10_000, min(args.repeat, 3))
    print(f"goldfish: {goldfish}")
    print(f"{'measure':50} {'ours':>9}  {'baseline':40} {'base':>9}  {'ratio':>7}")
    for name, ours, baseline, base in rows:
        print(f"{name:50} {ours*1000:8.1f}ms  {baseline:40} {base*1000:8.1f}ms  {ours/base:6.2f}x")


if __name__ == "__main__":
    main()
