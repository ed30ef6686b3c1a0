#!/usr/bin/env python3
"""`goldfish web` latency with a big history, each row against a baseline measured side by side.

    python3 bench/web.py [--goldfish PATH] [--repeat N] [--runs 100000] [--points 1000000]

`bench_web(goldfish, repeat, runs, points)` returns rows `(measure, ours, baseline measure, baseline)`
in seconds, as bench/run.py prints them. A project gets `runs` stage runs and one run with a
`points`-point `loss` series, seeded with SQL in one transaction into its real store (as
bench/run.py's store section does); one `goldfish web` serves it on 127.0.0.1 and every request
goes over one kept-alive HTTP connection (the median of `repeat` requests after one warm-up):

* the runs page of the API (50 newest of all runs) and the project overview page, against the
  same 50 rows read with Python's sqlite3 from the same file, and against `goldfish status --json`;
* the metric series API (downsampled to 500 points, min/max per bucket) and the run page with
  its charts over the 1,000,000-point run, against reading the series with sqlite3 (the least
  any reader of the whole series pays). The server keeps each downsampled series until a point
  is logged (Host's SeriesCache), so a repeated view is served from memory; the "first read" row
  asks for a new number of points every time, so it pays the whole read.
"""
import argparse
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REASON = "benchmark the web dashboard"


def find_goldfish(explicit):
    if explicit:
        return str(Path(explicit).resolve())
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "goldfish"
        if candidate.exists():
            return str(candidate)
    sys.exit("no goldfish binary: run `swift build -c release` first or pass --goldfish")


def stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1767225600 + seconds)) + ".000Z"


def seed(project, runs, points):
    db = sqlite3.connect(project / ".goldfish" / "goldfish.db")
    db.execute("PRAGMA synchronous = OFF")  # seeding only: no goldfish process has the file open
    states = ["completed"] * 8 + ["failed", "canceled"]
    with db:
        db.executemany(
            "INSERT INTO stage_runs (id, workspace, version, pipeline, stage, state, state_entered_at, created_at,"
            " reason, backend) VALUES (?, 'w', 1, 'pipeline', ?, ?, ?, ?, 'benchmark rows', 'process')",
            ((f"stage-{i:012x}", f"s{i % 3}", states[i % len(states)], stamp(i * 60), stamp(i * 60))
             for i in range(runs)))
        big = f"stage-{runs - 1:012x}"
        db.executemany(
            "INSERT INTO run_metrics (stage_run_id, name, value, step, timestamp) VALUES (?, 'loss', ?, ?, ?)",
            ((big, 1.0 / (step + 1) + (5.0 if step % 99_991 == 0 else 0.0), step, stamp(step)) for step in range(points)))
        db.execute(
            "INSERT INTO run_metrics_summary (stage_run_id, name, count, min_value, max_value, last_value, last_step,"
            " last_timestamp) SELECT stage_run_id, name, COUNT(*), MIN(value), MAX(value),"
            " (SELECT value FROM run_metrics WHERE stage_run_id = ? ORDER BY id DESC LIMIT 1), MAX(step), MAX(timestamp)"
            " FROM run_metrics WHERE stage_run_id = ? GROUP BY stage_run_id, name", (big, big))
    db.close()
    return big


def median_of(repeat, action):
    action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cold_series(pid, run, get):
    """A series request the server has not answered before: another `points` each time, so the
    downsample is computed from all the points, as on a run's first view."""
    counter = iter(range(600, 10_000))
    return lambda: get(f"/api/v1/projects/{pid}/runs/{run}/metrics?name=loss&points={next(counter)}")()


def bench_web(goldfish, repeat=5, runs=100_000, points=1_000_000):
    work = Path(tempfile.mkdtemp(prefix="goldfish-bench-web-"))
    home = work / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("GOLDFISH_PLUGIN_PATH", None)
    server = None
    try:
        project = work / "proj"
        subprocess.run([goldfish, "init", "proj", "--path", str(project)], env=env, check=True, capture_output=True)
        big = seed(project, runs, points)
        server = subprocess.Popen([goldfish, "web", "--port", "0", "--project", str(project)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info = home / ".goldfish" / "web" / "server.json"
        while not info.exists():
            if server.poll() is not None:
                raise RuntimeError("goldfish web exited before serving")
            time.sleep(0.05)
        port = json.loads(info.read_text())["port"]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def get(path):
            def call():
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            return call

        projects = json.loads(subprocess.run(["curl", "-sS", f"http://127.0.0.1:{port}/api/v1/projects"],
                                             capture_output=True, text=True, check=True).stdout)
        pid = projects[0]["id"]
        db = sqlite3.connect(project / ".goldfish" / "goldfish.db")

        def raw_page():
            db.execute("SELECT * FROM stage_runs ORDER BY created_at DESC, id DESC LIMIT 50").fetchall()
            db.execute("SELECT COUNT(*) FROM stage_runs").fetchone()

        def raw_series():
            db.execute("SELECT value, step, timestamp FROM run_metrics WHERE stage_run_id = ? AND name = 'loss'"
                       " ORDER BY id", (big,)).fetchall()

        def cli_status():
            subprocess.run([goldfish, "status", "--json"], cwd=project, env=env, check=True, capture_output=True)

        raw = median_of(repeat, raw_page)
        series = median_of(repeat, raw_series)
        status = median_of(min(repeat, 3), cli_status)
        rows = [
            (f"web API runs page (50 newest of {runs:,})", median_of(repeat, get(f"/api/v1/projects/{pid}/runs?limit=50")),
             "same rows + count, Python sqlite3", raw),
            (f"web overview page, {runs:,} runs", median_of(repeat, get(f"/p/{pid}")), "`goldfish status --json`",
             status),
            (f"web API metric series, {points:,} points → 500", median_of(repeat, get(
                f"/api/v1/projects/{pid}/runs/{big}/metrics?name=loss&points=500")),
             "reading the series, Python sqlite3", series),
            (f"web API metric series, {points:,} points, first read (no cached downsample)",
             median_of(repeat, cold_series(pid, big, get)), "reading the series, Python sqlite3", series),
            (f"web run page with chart, {points:,} points", median_of(repeat, get(f"/p/{pid}/runs/{big}")),
             "reading the series, Python sqlite3", series),
        ]
        db.close()
        connection.close()
        return rows
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    goldfish = find_goldfish(args.goldfish)
    print("| Measure | Ours | Baseline | Base | Ratio |")
    print("|---|---:|---|---:|---:|")
    for measure, ours, baseline, base in bench_web(goldfish, args.repeat, args.runs, args.points):
        print(f"| {measure} | {ours * 1000:.1f} ms | {baseline} | {base * 1000:.1f} ms | {ours / base:.2f}× |")


if __name__ == "__main__":
    main()
