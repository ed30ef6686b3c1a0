#!/usr/bin/env python3
"""Goldfish benchmarks, each printed as a ratio against a baseline measured side by side.

    python3 bench/run.py [--goldfish PATH] [--repeat N] [--quick] [--only SECTION,...]

Builds nothing: pass the goldfish binary (default: the release build, then the debug one);
goldfish-bench is taken from the same folder. Every number is the median of the runs made in
this invocation on this machine; the table at the end is Markdown (docs/performance.md keeps one).
Sections: agent, plugins, provenance, execution, storage, store, warm_pool, slurm, speed_run, speed_fs, core, web, gce. A section that cannot
run here (no network for the goldfish-ml venv, no GCS emulator) says why in its row.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from speed_fs import bench_speed_fs
from warm_pool import bench_warm_pool
from slurm import bench_slurm
from speed_run import bench_speed_run
from speed_core import bench_core
from web import bench_web
from gce import bench_gce
from targets import target_lines
from projects import pin_backend

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = Path(os.environ.get("GOLDFISH_BENCH_VENV", Path.home() / ".cache" / "goldfish" / "bench-venv"))
UPSTREAM = "goldfish-ml==0.4.6"


@dataclass
class Row:
    """One line of the table: ours against its baseline; `note` says why a row has no numbers."""
    measure: str
    ours: float | None
    baseline: str
    base: float | None
    note: str = ""
    unit: str = "s"

    def cells(self):
        if self.ours is None or self.base is None:
            ours = "—" if self.ours is None else show(self.ours, self.unit)
            return [self.measure, ours, self.baseline, "—", self.note or "not measured"]
        ratio = self.ours / self.base if self.base else float("inf")
        return [self.measure, show(self.ours, self.unit), self.baseline, show(self.base, self.unit), f"{ratio:.2f}×"]


def show(value, unit):
    if unit == "ns":
        return f"{value:.0f} ns" if value < 10_000 else f"{value / 1000:.1f} µs"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


# ---------------------------------------------------------------- helpers

def guarded(label, body):
    """A part of a section that failed becomes a row saying why; the rest still runs."""
    try:
        return body()
    except Exception as failure:
        traceback.print_exc(file=sys.stderr)
        detail = failure.stderr.strip()[-300:] if isinstance(failure, subprocess.CalledProcessError) and \
            isinstance(failure.stderr, str) and failure.stderr else str(failure)
        return [Row(label, None, "", None, f"failed: {type(failure).__name__}: {detail}")]


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
    env["GOLDFISH_LOG_LEVEL"] = "warning"
    return env


REASON = ["--reason", "benchmark setup for timings"]


def make_project(goldfish, parent):
    subprocess.run([goldfish, "init", "bench", "--path", str(parent / "bench")], check=True, stdout=subprocess.DEVNULL)
    project = parent / "bench"
    pin_backend(project / "goldfish.yaml")
    subprocess.run([goldfish, "workspace", "create", "w", "--goal", "bench", *REASON], cwd=project, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([goldfish, "workspace", "mount", "w", "w1", *REASON], cwd=project, check=True,
                   stdout=subprocess.DEVNULL)
    return project


def scratch():
    return Path(tempfile.mkdtemp(prefix="gf-bench-"))


def clear_folder(folder, keep):
    for entry in folder.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


# ---------------------------------------------------------------- 1. agent latency (MCP)

def bench_venv_python():
    """The benchmark's own venv with goldfish-ml 0.4.6 and the MCP client, created on first use."""
    python = BENCH_VENV / "bin" / "python"
    check = [str(python), "-c", "import mcp, goldfish; from importlib.metadata import version; "
             "assert version('goldfish-ml') == '0.4.6'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    BENCH_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              UPSTREAM, "mcp"], capture_output=True, text=True)
    if install.returncode != 0:
        raise RuntimeError(f"pip install {UPSTREAM} failed: {install.stderr.strip().splitlines()[-1:]}")
    return python


def section_agent(goldfish, args):
    """Cold start to `initialize`, then tools/list, status, inspect_workspace, list_history with
    1,000 runs, against goldfish-ml 0.4.6 (cold: daemon stopped first; warm: daemon running)."""
    steps = ["initialize", "tools/list", "status", "inspect_workspace", "list_history"]
    try:
        python = bench_venv_python()
        done = subprocess.run(
            [str(python), str(ROOT / "bench" / "mcp_latency.py"), "--ours", goldfish,
             "--theirs", str(BENCH_VENV / "bin" / "goldfish"), "--runs", str(args.mcp_runs),
             "--repeat", str(args.mcp_repeat)], capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as failure:
        return [Row(f"MCP {step}, {args.mcp_runs:,} runs", None, "goldfish-ml 0.4.6", None,
                    f"could not run: {failure}") for step in steps]
    ours = result["ours"]["median_seconds"]
    rows = []
    for key, label in [("theirs_cold", "goldfish-ml 0.4.6, cold"), ("theirs_warm", "goldfish-ml 0.4.6, daemon up")]:
        theirs = result.get(key, {}).get("median_seconds")
        failed = result.get(key, {}).get("failed_sessions")
        for step in steps:
            name = "start to `initialize` answer" if step == "initialize" else f"`{step}`"
            if step in ("list_history", "status", "inspect_workspace"):
                name += f", {args.mcp_runs:,} runs"
            if theirs is None:
                rows.append(Row(f"MCP {name}", ours[step], label, None,
                                f"goldfish-ml did not run: {result.get('theirs_error', 'no result')}"))
            else:
                rows.append(Row(f"MCP {name}", ours[step], label, theirs[step]))
        if failed:
            print(f"{label}: {len(failed)} session(s) failed and were repeated: {failed}", file=sys.stderr)
    return rows


# ---------------------------------------------------------------- 2. plugin host

def section_plugins(goldfish, args):
    """Cold start to `plugins list --json` with every first-party plugin, vs `--version`; one
    ABI call round trip (host path and raw C table) against a direct Swift call."""
    rows = []
    listing = timed([goldfish, "plugins", "list", "--json"], env=goldfish_env(), repeat=args.repeat)
    bare = timed([goldfish, "--version"], env=goldfish_env(), repeat=args.repeat)
    rows.append(Row("cold start to `plugins list --json`", listing, "cold start to `--version`", bare))
    return rows + guarded("ABI call round trip", lambda: abi_call(goldfish, args))


def abi_call(goldfish, args):
    helper = Path(goldfish).parent / "goldfish-bench"
    if not helper.exists():
        return [Row("ABI call round trip (`uri_for`)", None, "direct Swift call", None,
                    f"no {helper}: build the goldfish-bench target")]
    work = scratch()
    try:
        project = make_project(goldfish, work)
        done = subprocess.run([str(helper), "abi-call", "--project", str(project), "--count", str(args.abi_calls)],
                              env=goldfish_env(), check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        direct = result["direct_swift_ns"]
        return [Row("ABI call via the host (`OpenedService.call`, `uri_for`)", result["host_call_ns"],
                    "direct Swift call, same work", direct, unit="ns"),
                Row("ABI call, raw C table (`gf_call_fn`, `uri_for`)", result["raw_abi_ns"],
                    "direct Swift call, same work", direct, unit="ns")]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- 3. provenance

def write_files(folder, count, size=256):
    payload = os.urandom(size)
    for index in range(count):
        sub = folder / f"d{index % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{index}.txt").write_bytes(payload + str(index).encode())


def write_big_files(folder, total_mib, file_mib=64):
    """`total_mib` of incompressible data in files of `file_mib` (under the 100 MiB file cap)."""
    folder.mkdir(parents=True, exist_ok=True)
    block = 1 << 20
    for index in range(max(1, total_mib // file_mib)):
        with open(folder / f"blob{index:03d}.bin", "wb") as handle:
            for _ in range(file_mib):
                handle.write(os.urandom(block))


def provenance_case(goldfish, label, fill, repeat):
    """Checkpoint (sync + commit + tag) of a slot holding `fill`'s files vs the git CLI doing the
    same in a fresh repository vs a plain copy (`cp -r`, the physical floor of touching every file).
    Every repetition writes into a fresh project / repository / folder files never stored
    before (fill draws new random bytes), so no side finds its objects already written; dirty
    pages are flushed before each timed run so one does not pay for the previous one's writeback."""
    work = scratch()
    try:
        samples = []
        for index in range(repeat):
            # A fresh project each time, like git's fresh repo and cp's fresh target: on this
            # ext4 a folder whose files were just deleted makes the next writes there 2-3x slower.
            (work / f"p{index}").mkdir()
            project = make_project(goldfish, work / f"p{index}")
            slot = project / "workspaces" / "w1"
            fill(slot)
            os.sync()
            start = time.perf_counter()
            subprocess.run([goldfish, "workspace", "checkpoint", "w1", "--message", "bench"], cwd=project,
                           env=goldfish_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples.append(time.perf_counter() - start)
            shutil.rmtree(work / f"p{index}", ignore_errors=True)
        ours = statistics.median(samples)

        git_env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
                       GIT_COMMITTER_EMAIL="b@b")
        git_samples = []
        for index in range(repeat):
            repo = work / f"git{index}"
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
            fill(repo)
            os.sync()
            start = time.perf_counter()
            # gc.auto=0: git's detached auto-gc would otherwise repack in the background and
            # slow whatever is measured next.
            for command in (["git", "add", "-A"], ["git", "-c", "gc.auto=0", "commit", "-qm", "bench"],
                            ["git", "tag", f"t{index}"]):
                subprocess.run(command, cwd=repo, env=git_env, check=True, stdout=subprocess.DEVNULL)
            git_samples.append(time.perf_counter() - start)
            shutil.rmtree(repo, ignore_errors=True)
        git = statistics.median(git_samples)

        source = work / "source"
        fill(source)

        copies = []
        for index in range(repeat):
            os.sync()
            start = time.perf_counter()
            subprocess.run(["cp", "-r", str(source), str(work / f"copy{index}")], check=True)
            copies.append(time.perf_counter() - start)
        copy = statistics.median(copies)
        return [Row(f"checkpoint (sync+commit+tag), {label}", ours, "`git init` repo: add -A, commit, tag", git),
                Row(f"checkpoint (sync+commit+tag), {label}", ours, "plain copy (`cp -r`)", copy)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def section_provenance(goldfish, args):
    rows = []
    for count in args.provenance_files:
        repeat = args.repeat if count <= 1_000 else 3 if count <= 10_000 else 1
        rows += guarded(f"checkpoint, {count:,} files", lambda n=count, r=repeat: provenance_case(
            goldfish, f"{n:,} files", lambda folder: write_files(folder, n), r))
    if args.provenance_mib:
        label = f"{args.provenance_mib:,} MiB in 64 MiB files"
        rows += guarded(f"checkpoint, {label}", lambda: provenance_case(
            goldfish, label, lambda folder: write_big_files(folder, args.provenance_mib), 1))
    return rows


# ---------------------------------------------------------------- 4. execution

DAG_STAGE = """import time
from goldfish.io import get_output_path, load_input, save_output
{load}time.sleep({sleep})
path = get_output_path("{output}")
with open(path, "w") as handle:
    handle.write("{name}")
save_output("{output}", path)
"""


def write_dag(slot, chains, length, sleep):
    """`chains` independent chains of `length` stages each; every stage sleeps `sleep` seconds."""
    lines = ["name: pipeline", "stages:"]
    (slot / "modules").mkdir(exist_ok=True)
    for chain in range(chains):
        for step in range(length):
            name = f"c{chain}s{step}"
            lines.append(f"  - name: {name}")
            load = ""
            if step:
                # An input takes the name of the upstream output it reads.
                lines.append(f"    inputs:\n      o{step - 1}: {{type: file, from_stage: c{chain}s{step - 1}, schema: null}}")
                load = f'load_input("o{step - 1}")\n'
            lines.append(f"    outputs:\n      o{step}: {{type: file, schema: null}}")
            (slot / "modules" / f"{name}.py").write_text(
                DAG_STAGE.format(load=load, sleep=sleep, name=name, output=f"o{step}"))
    (slot / "pipeline.yaml").write_text("\n".join(lines) + "\n")


def section_execution(goldfish, args):
    """A trivial stage end to end on the process backend vs the same Python file run directly;
    a DAG of independent chains vs its critical path (one chain's stages run one after another)."""
    return guarded("trivial stage", lambda: trivial_stage(goldfish, args)) + guarded(
        "DAG", lambda: wide_dag(goldfish, args))


def trivial_stage(goldfish, args):
    work = scratch()
    try:
        project = make_project(goldfish, work)
        slot = project / "workspaces" / "w1"
        (slot / "modules").mkdir(exist_ok=True)
        (slot / "modules" / "hello.py").write_text("print('hello')\n")
        (slot / "pipeline.yaml").write_text("name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n")
        counter = {"n": 0}

        def change():
            counter["n"] += 1
            (slot / "modules" / "hello.py").write_text(f"print('hello {counter['n']}')\n")

        ours = timed([goldfish, "run", "w1", "--wait", "--reason", "benchmark a trivial stage"], cwd=project,
                     env=goldfish_env(), setup=change, repeat=args.repeat)
        direct = timed(["python3", str(slot / "modules" / "hello.py")], repeat=args.repeat)
        return [Row("trivial stage, `run --wait` (process backend)", ours, "`python3 stage.py` directly", direct)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def wide_dag(goldfish, args):
    work = scratch()
    try:
        project = make_project(goldfish, work)
        slot = project / "workspaces" / "w1"
        chains, length = 4, max(1, args.dag_stages // 4)
        write_dag(slot, chains, length, args.dag_sleep)
        dag_repeat = 1 if args.quick else min(args.repeat, 3)
        # --rerun: every stage runs each time instead of reusing the previous, unchanged run.
        ours = timed([goldfish, "run", "w1", "--wait", "--rerun", "--reason", "benchmark a wide pipeline"],
                     cwd=project, env=goldfish_env(), repeat=dag_repeat)
        sleeper = work / "sleep.py"
        sleeper.write_text(f"import time\ntime.sleep({args.dag_sleep})\n")
        chain = ["bash", "-c", " && ".join([f"python3 {sleeper}"] * length)]
        critical = timed(chain, repeat=dag_repeat)
        return [Row(f"{chains * length}-stage DAG ({chains} chains × {length}, {args.dag_sleep:g} s stages)", ours,
                    f"critical path: {length} × `python3` sleeping {args.dag_sleep:g} s", critical)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- 5. storage

def peak(command, cwd=None, env=None):
    """Wall time and peak resident memory (MiB) of one run, via /usr/bin/time."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd, env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stderr.strip().splitlines()[-1]) / 1024


def best_of(repeat, command, cwd=None, env=None, setup=None):
    """Median time and the largest peak memory over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        if setup:
            setup()
        samples.append(peak(command, cwd=cwd, env=env))
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def storage_row(label, size_mb, ours, baseline_name, base):
    rate = lambda seconds: f"{size_mb / seconds:.0f} MiB/s"
    return Row(f"{label} {size_mb} MiB ({rate(ours[0])}, peak {ours[1]:.0f} MiB)", ours[0],
               f"{baseline_name} ({rate(base[0])}, peak {base[1]:.0f} MiB)", base[0])


def section_storage(goldfish, args):
    """`goldfish storage put/get` of one object (a whole process each): `file` against `cp`,
    `gcs` against `curl` on gcp-storage-emulator (when STORAGE_EMULATOR_HOST is set)."""
    rows = []
    size_mb = args.storage_mb
    repeat = 1 if args.quick else 3
    work = scratch()
    try:
        blob = work / "blob"
        with open(blob, "wb") as handle:
            for _ in range(size_mb):
                handle.write(os.urandom(1 << 20))
        project = make_project(goldfish, work)
        env = goldfish_env()
        put = best_of(repeat, [goldfish, "storage", "put", str(blob), "bench/blob"], cwd=project, env=env)
        get = best_of(repeat, [goldfish, "storage", "get", "bench/blob", str(work / "back")], cwd=project, env=env,
                      setup=lambda: (work / "back").unlink(missing_ok=True))
        cp_put = best_of(repeat, ["cp", str(blob), str(work / "copy1")])
        cp_get = best_of(repeat, ["cp", str(work / "copy1"), str(work / "copy2")])
        rows.append(storage_row("file put", size_mb, put, "`cp`", cp_put))
        rows.append(storage_row("file get", size_mb, get, "`cp`", cp_get))
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if not emulator:
            rows.append(Row(f"gcs put/get {size_mb} MiB", None, "`curl`", None,
                            "no STORAGE_EMULATOR_HOST: `source scripts/gcs-emulator.sh && gcs_emulator_start`"))
            return rows
        bucket = os.environ.get("GOLDFISH_GCS_BUCKET", "goldfish-test")
        config = project / "goldfish.yaml"
        text = config.read_text()
        if "storage:\n  backend: file" not in text:
            raise RuntimeError("goldfish.yaml template changed: cannot switch the storage to gcs")
        config.write_text(text.replace("storage:\n  backend: file", "storage:\n  backend: gcs") +
                          f"\ngcs:\n  bucket: {bucket}\n")
        put = best_of(repeat, [goldfish, "storage", "put", str(blob), "bench/gcs-blob"], cwd=project, env=env)
        get = best_of(repeat, [goldfish, "storage", "get", "bench/gcs-blob", str(work / "gcs-back")], cwd=project,
                      env=env, setup=lambda: (work / "gcs-back").unlink(missing_ok=True))
        curl_put = best_of(repeat, ["curl", "-sf", "-X", "POST", "--data-binary", f"@{blob}",
                                    f"{emulator}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=bench/curl-blob"])
        curl_get = best_of(repeat, ["curl", "-sf", "-o", str(work / "curl-back"),
                                    f"{emulator}/download/storage/v1/b/{bucket}/o/bench%2Fcurl-blob?alt=media"])
        rows.append(storage_row("gcs put", size_mb, put, "`curl --data-binary`", curl_put))
        rows.append(storage_row("gcs get", size_mb, get, "`curl -o`", curl_get))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- 6. store scale

def stamp(index):
    seconds = index * 60
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1767225600 + seconds)) + ".000Z"


def seed_runs(project, rows):
    """`rows` stage runs in the documented schema, in one transaction: a few active, most finished."""
    db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
    db.execute("PRAGMA synchronous = OFF")  # seeding only: no goldfish process has the file open
    states = ["completed"] * 8 + ["failed", "canceled"]

    def generate():
        for i in range(rows):
            state = "running" if i >= rows - 3 else states[i % len(states)]
            yield (f"stage-{i:012x}", f"s{i % 3}", state, stamp(i), stamp(i))

    with db:
        db.executemany(
            "INSERT INTO stage_runs (id, workspace, version, pipeline, stage, state, state_entered_at, created_at,"
            " reason, backend) VALUES (?, 'w', 1, 'pipeline', ?, ?, ?, ?, 'benchmark rows', 'process')", generate())
    db.close()


def section_store(goldfish, args):
    """status, one run's status poll and a history page at 100 … 1,000,000 run rows: each size
    against the smallest, so the ratio is how the cost grows. In process (goldfish-bench) to
    keep process start out of it, plus `status --json` end to end."""
    helper = Path(goldfish).parent / "goldfish-bench"
    sizes = sorted(args.store_rows)
    measured = {}
    for rows in sizes:
        work = scratch()
        try:
            project = make_project(goldfish, work)
            seed_runs(project, rows)
            entry = {"cli_status": timed([goldfish, "status", "--json"], cwd=project, env=goldfish_env(),
                                         repeat=args.repeat)}
            if helper.exists():
                done = subprocess.run([str(helper), "store", "--project", str(project), "--workspace", "w",
                                       "--run", f"stage-{rows // 2:012x}", "--count", "30"],
                                      env=goldfish_env(), check=True, capture_output=True, text=True)
                entry.update(json.loads(done.stdout.strip().splitlines()[-1]))
            measured[rows] = entry
        finally:
            shutil.rmtree(work, ignore_errors=True)
    smallest = sizes[0]
    out = []
    labels = [("cli_status", "`status --json` (whole process)", "s"), ("status_ns", "status queries, in process", "ns"),
              ("poll_ns", "run status poll (one run by id)", "ns"),
              ("history_ns", "history page (20 of a workspace's runs)", "ns"),
              ("list_runs_ns", "`list_runs` page (20 newest)", "ns")]
    for key, label, unit in labels:
        for rows in sizes[1:]:
            if key not in measured[rows]:
                out.append(Row(f"{label}, {rows:,} rows", None, f"{smallest:,} rows", None,
                               "no goldfish-bench next to goldfish"))
                continue
            scale = 1e-9 if unit == "ns" else 1
            out.append(Row(f"{label}, {rows:,} rows", measured[rows][key] * scale, f"same, {smallest:,} rows",
                           measured[smallest][key] * scale))
    return out


# ---------------------------------------------------------------- 7. warm pool (issue #8)

def section_warm_pool(goldfish, args):
    """Issue #8 (bench/warm_pool.py): `run` to the job running on a warm worker against a fresh
    launch, and one status poll with 10,000 against 10 pool rows."""
    return [Row(name, ours, baseline, base) for name, ours, baseline, base in
            bench_warm_pool(goldfish, min(args.repeat, 3))]


def section_speed_run(goldfish, args):
    """Issue #17's run path (bench/speed_run.py): run(wait), trivial stage, docker, warm dispatch, DAG."""
    return [Row(*row) for row in bench_speed_run(goldfish, args.repeat)]


# ---------------------------------------------------------------- svs statistics (issue #14)

STATS_PROBE = """
import sys, time
sys.path.insert(0, sys.argv[2])
from goldfish.io._stats import array_stats
start = time.perf_counter()
stats = array_stats(sys.argv[1])
assert stats["samples_used"] == 10000, stats
print(time.perf_counter() - start)
"""


def write_npy(path, count, fill):
    """A float32 npy of `count` elements: filled with values, or sparse (header, then truncate:
    no data is written and no memory is used, the file reads as zeros)."""
    import numpy as np
    header = np.lib.format
    with open(path, "wb") as handle:
        header.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": (count,)})
        start = handle.tell()
    if fill:
        array = np.lib.format.open_memmap(path, mode="r+")
        array[:] = np.random.default_rng(0).standard_normal(count, dtype=np.float32)
        array.flush()
        del array
    else:
        os.truncate(path, start + count * 4)


def section_svs_stats(goldfish, args):
    """Statistics of an output (goldfish.io, 10,000 sampled elements through mmap) on a 5 GB npy
    against a 100 MB one: the ratio is the growth, flat by design (within 2×)."""
    folder = scratch()
    try:
        small, large = folder / "small.npy", folder / "large.npy"
        write_npy(small, 100 * (1 << 20) // 4, fill=True)
        write_npy(large, 5 * (1 << 30) // 4, fill=False)
        library = str(ROOT / "python")

        def probe(path):
            samples = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", STATS_PROBE, str(path), library], check=True,
                                     capture_output=True, text=True).stdout
                samples.append(float(out.strip()))
            return statistics.median(samples)

        return [Row("output statistics, 5 GiB npy (sparse)", probe(large), "the same on 100 MiB", probe(small))]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def section_speed_fs(goldfish, args):
    """Issue #17's file rows (bench/speed_fs.py): re-save of unchanged files, checkpoint of new ones
    against the git CLI, `file` put against `cp` + `sync`."""
    return [Row(name, ours, baseline, base, "" if ours is not None else name) for name, ours, baseline, base in
            bench_speed_fs(goldfish, min(args.repeat, 3), 10_000 if args.quick else 100_000, args.storage_mb)]


SECTIONS = {
    "agent": section_agent, "plugins": section_plugins, "provenance": section_provenance,
    "execution": section_execution, "storage": section_storage, "store": section_store,
    "warm_pool": section_warm_pool, "svs_stats": section_svs_stats, "speed_run": section_speed_run,
    "slurm": lambda goldfish, args: [Row(*row) for row in bench_slurm(goldfish, min(args.repeat, 5))],
    "speed_fs": section_speed_fs,
    "core": lambda goldfish, args: bench_core(goldfish, args, globals()),
    "web": lambda goldfish, args: [Row(*row) for row in bench_web(goldfish, min(args.repeat, 5))],
    "gce": lambda goldfish, args: [Row(*row) for row in bench_gce(goldfish, min(args.repeat, 3))],
}


def machine():
    memory = "?"
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            memory = f"{kib / (1 << 20):.0f} GiB"
    except OSError:
        pass
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {memory} RAM, Linux {platform.release()}, "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")


def numbers(text):
    return [int(part.replace("_", "").replace(",", "")) for part in text.split(",") if part]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes everywhere (100/1,000 files, no 1 GiB, 100/10,000 rows, 2 repeats)")
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--provenance-files", type=numbers, default=[100, 10_000, 100_000])
    parser.add_argument("--provenance-mib", type=int, default=1024, help="the large-data case (0: skip)")
    parser.add_argument("--store-rows", type=numbers, default=[100, 10_000, 1_000_000])
    parser.add_argument("--storage-mb", type=int, default=256, help="object size of the storage benchmark")
    parser.add_argument("--dag-stages", type=int, default=20)
    parser.add_argument("--dag-sleep", type=float, default=1.0)
    parser.add_argument("--mcp-runs", type=int, default=1000)
    parser.add_argument("--mcp-repeat", type=int, default=3, help="sessions per server (goldfish-ml's take ~10 s)")
    parser.add_argument("--abi-calls", type=int, default=100_000)
    args = parser.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 2)
        args.provenance_files = [100, 1000]
        args.provenance_mib = 0
        args.store_rows = [100, 10_000]
        args.storage_mb = min(args.storage_mb, 64)
        args.mcp_repeat = min(args.mcp_repeat, 2)
        args.abi_calls = min(args.abi_calls, 10_000)
    goldfish = os.path.abspath(find_goldfish(args.goldfish))
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    rows = []
    began = time.perf_counter()
    for name in chosen:
        start = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            rows += SECTIONS[name](goldfish, args)
        except Exception as failure:
            traceback.print_exc(file=sys.stderr)
            rows.append(Row(f"section {name}", None, "", None, f"failed: {type(failure).__name__}: {failure}"))
        print(f"  {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(f"goldfish: {goldfish}")
    print(f"machine: {machine()}; total {time.perf_counter() - began:.0f} s")
    print()
    print("| Measure | Ours | Baseline | Base | Ratio |")
    print("|---|---:|---|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    print()
    print("\n".join(target_lines(rows)))


if __name__ == "__main__":
    main()
