#!/usr/bin/env python3
"""`goldfish web` latency with a big history, each row against a baseline measured side by side.

    python3 bench/web.py [--goldfish PATH] [--repeat N] [--runs 100000] [--points 1000000]

`bench_web(goldfish, repeat, runs, points)` returns rows `(measure, ours, baseline measure, baseline)`
in seconds, as bench/run.py prints them. A project gets `runs` stage runs and one run with a
`points`-point `loss` series, seeded with SQL in one transaction into its real store (as
bench/run.py's store section does); one `goldfish web` serves it on 127.0.0.1 and every request
goes over one kept-alive HTTP connection (the median of `repeat` requests after one warm-up):

* every page and every API route of docs/web.md, each against a plain read of the same data with
  Python's sqlite3 from the same file (the 50 newest runs and their count for the run-list
  views, the whole series for the series views: the least any reader of it pays);
* the metric series API over the 1,000,000-point run, first read (a new `points` each time, so
  nothing cached in the server's SeriesCache is reused: the series is read from its v13 rollup
  pyramid) and repeat view (from memory);
* the v13 migration building that pyramid for a project stored without it: the seeding drops the
  rollup table and its migration row, and `goldfish runs` is timed on the first open (which
  migrates) against the second.

Every stage run reads its predecessor's `data` output (signal_lineage rows), so the lineage views
have edges to draw.
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
        db.execute("INSERT INTO workspaces (name, goal, branch, created_at) VALUES ('w', 'benchmark', 'w', ?)",
                   (stamp(0),))
        db.execute("INSERT INTO workspace_versions (workspace, version, tag, sha, created_at, created_by)"
                   " VALUES ('w', 1, 'w-v1', ?, ?, 'run')", ("0" * 40, stamp(0)))
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
        db.executemany(
            "INSERT INTO signal_lineage (stage_run_id, signal, direction, signal_type, source_stage_run_id)"
            " VALUES (?, 'data', 'input', 'directory', ?)",
            ((f"stage-{i:012x}", f"stage-{i - 1:012x}") for i in range(1, runs)))
        # As a project stored before v13: its first open builds the rollups of every series.
        db.execute("DROP TABLE IF EXISTS run_metric_rollups")
        db.execute("DELETE FROM grdb_migrations WHERE identifier = 'v13-metric-rollups'")
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

        def open_project():
            subprocess.run([goldfish, "runs", "--limit", "1", "--json"], cwd=project, env=env, check=True,
                           capture_output=True)

        start = time.perf_counter()
        open_project()
        migrating = time.perf_counter() - start
        plain_open = median_of(min(repeat, 3), open_project)
        projects = json.loads(subprocess.run(["curl", "-sS", f"http://127.0.0.1:{port}/api/v1/projects"],
                                             capture_output=True, text=True, check=True).stdout)
        pid = projects[0]["id"]
        api = f"/api/v1/projects/{pid}"
        other = f"stage-{runs - 2:012x}"
        db = sqlite3.connect(project / ".goldfish" / "goldfish.db")

        def raw_page():
            db.execute("SELECT * FROM stage_runs ORDER BY created_at DESC, id DESC LIMIT 50").fetchall()
            db.execute("SELECT COUNT(*) FROM stage_runs").fetchone()

        def raw_series():
            db.execute("SELECT value, step, timestamp FROM run_metrics WHERE stage_run_id = ? AND name = 'loss'"
                       " ORDER BY id", (big,)).fetchall()

        raw = median_of(repeat, raw_page)
        series = median_of(repeat, raw_series)
        rows_base = "same 50 rows + count, Python sqlite3"
        series_base = "reading the series, Python sqlite3"
        timed = [
            ("web API project overview", f"{api}", rows_base, raw),
            (f"web overview page, {runs:,} runs", f"/p/{pid}", rows_base, raw),
            (f"web API runs page (50 newest of {runs:,})", f"{api}/runs?limit=50", rows_base, raw),
            ("web API workspaces", f"{api}/workspaces", rows_base, raw),
            ("web API workspace versions", f"{api}/workspaces/w/versions", rows_base, raw),
            ("web API workspace records", f"{api}/workspaces/w/records", rows_base, raw),
            ("web workspace page", f"/p/{pid}/w/w", rows_base, raw),
            ("web API run detail", f"{api}/runs/{big}", rows_base, raw),
            ("web API run logs (tail)", f"{api}/runs/{big}/logs?tail=200", rows_base, raw),
            ("web API run lineage", f"{api}/runs/{big}/lineage", rows_base, raw),
            ("web run lineage page", f"/p/{pid}/runs/{big}/lineage", rows_base, raw),
            (f"web API project lineage (40 newest of {runs:,})", f"{api}/lineage", rows_base, raw),
            (f"web project lineage page, {runs:,} runs", f"/p/{pid}/lineage", rows_base, raw),
            ("web API sources", f"{api}/sources", rows_base, raw),
            ("web API warm pool", f"{api}/pool", rows_base, raw),
            ("web warm pool page", f"/p/{pid}/pool", rows_base, raw),
            (f"web API metric series, {points:,} points → 500 (repeat view)",
             f"{api}/runs/{big}/metrics?name=loss&points=500", series_base, series),
            (f"web run page with chart, {points:,} points", f"/p/{pid}/runs/{big}", series_base, series),
            (f"web API compare, {points:,}-point run vs another", f"{api}/compare?runs={big},{other}", series_base,
             series),
            (f"web compare page, {points:,}-point run vs another", f"/p/{pid}/compare?runs={big},{other}",
             series_base, series),
        ]
        rows = [(measure, median_of(repeat, get(path)), base_name, base) for measure, path, base_name, base in timed]
        rows.insert(17, (f"web API metric series, {points:,} points, first read (no cached downsample)",
                         median_of(repeat, cold_series(pid, big, get)), series_base, series))
        rows.append((f"v13 migration: rollups of {points:,} points (first open − later open)",
                     max(0.0, migrating - plain_open), series_base, series))
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
