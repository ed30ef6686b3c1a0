#!/usr/bin/env python3
"""The run path's benchmarks (issue #17), each a ratio against a floor measured side by side.

    python3 bench/speed_run.py [--goldfish PATH] [--repeat N] [--no-docker]

`bench_speed_run(goldfish, repeat, docker)` returns rows `(measure, ours, baseline, base)` in
seconds, as bench/run.py prints them:

* `run(wait)` over MCP (`goldfish serve`, raw JSON-RPC on stdio) of a trivial stage: from the
  stage's last instruction (it prints `time.time()`) to the answer, and from the moment the run's
  end is recorded (`pipeline_runs.finished_at`) to the answer; the floor is a `python3` process
  exiting after its own last instruction (interpreter teardown and reaping).
* a trivial stage end to end (`goldfish run --wait`, process backend) against `python3 stage.py`,
  with the time of each phase taken from the run's own state transitions (printed to stderr).
* the same trivial stage on the docker backend (image cached) against `docker run --rm` of the
  stage image, when `docker` answers (scripts/docker-engine.sh).
* warm dispatch on the process backend (a warm goldfish-agent) and the docker backend (a warm
  container running goldfish-agent): from the run entering `launching` to the stage's first line,
  against `python3` starting the same file.
* a 20-stage DAG (4 independent chains of 5 stages sleeping 1 s) against its critical path.
"""
import argparse
import datetime
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

from projects import pin_backend

ROOT = Path(__file__).resolve().parent.parent
REASON = "benchmark the run path of issue 17"
LAST = "import time\nprint('hello')\nprint(f'GF_END {time.time():.6f}', flush=True)\n"
FIRST = "import time\nprint(f'GF_STARTED {time.time():.6f}', flush=True)\n"
PYTHON = "/usr/bin/python3"


def find_goldfish(explicit):
    if explicit:
        return str(Path(explicit).resolve())
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "goldfish"
        if candidate.exists():
            return str(candidate)
    sys.exit("no goldfish binary: run `swift build -c release` first or pass --goldfish")


def env():
    values = dict(os.environ)
    values.pop("GOLDFISH_PLUGIN_PATH", None)
    # The system interpreter for stages and baselines alike: a version manager's shim (pyenv
    # runs a dozen bash processes per `python3`) would be most of both sides.
    values["PATH"] = "/usr/bin:/bin:" + values.get("PATH", "")
    values["GOLDFISH_LOG_LEVEL"] = "warning"
    return values


def call(goldfish, project, *args):
    return subprocess.run([goldfish, *args], cwd=project, env=env(), check=True, capture_output=True,
                          text=True).stdout


def make_project(goldfish, parent, stage, extra="", backend="process"):
    """A project on `backend` (no finalization gate, so runs can follow each other) whose
    pipeline has one stage, `probe`, the file `stage`."""
    project = parent / "bench"
    subprocess.run([goldfish, "init", "bench", "--path", str(project)], check=True, stdout=subprocess.DEVNULL,
                   env=env())
    config = project / "goldfish.yaml"
    config.write_text(config.read_text().replace("  min_reason_length: 15",
                                                 "  min_reason_length: 15\n  finalization_gate: false\n"
                                                 "  require_results_spec: false"))
    pin_backend(config, backend, extra)
    call(goldfish, project, "workspace", "create", "w", "--goal", "bench", "--reason", REASON)
    call(goldfish, project, "workspace", "mount", "w", "w1", "--reason", REASON)
    slot = project / "workspaces" / "w1"
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "modules" / "probe.py").write_text(stage)
    (slot / "pipeline.yaml").write_text("name: pipeline\nstages:\n  - name: probe\n    outputs: {}\n")
    return project


def moment(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def marker(goldfish, project, run_id, name):
    for line in call(goldfish, project, "logs", run_id).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise RuntimeError(f"run {run_id} printed no {name}")


def database(project):
    return sqlite3.connect(project / ".goldfish" / "goldfish.db")


def transitions(project, run_id):
    with database(project) as db:
        return db.execute("SELECT to_state, created_at FROM stage_state_transitions WHERE stage_run_id = ? "
                          "ORDER BY id", (run_id,)).fetchall()


def latest_stage_run(project):
    with database(project) as db:
        return db.execute("SELECT id, pipeline_run_id FROM stage_runs ORDER BY created_at DESC, rowid DESC "
                          "LIMIT 1").fetchone()


def python_exit_floor(repeat):
    """A python3 process from its last instruction to its parent seeing it exit."""
    values = []
    for _ in range(repeat):
        out = subprocess.run([PYTHON, "-c", "import time; print(f'{time.time():.6f}', flush=True)"],
                             capture_output=True, text=True, check=True)
        values.append(time.time() - float(out.stdout.strip()))
    return statistics.median(values)


def python_start_floor(repeat, script):
    values = []
    for _ in range(repeat):
        start = time.time()
        out = subprocess.run([PYTHON, str(script)], capture_output=True, text=True, check=True).stdout
        values.append(float(out.split()[1]) - start)
    return statistics.median(values)


# ---------------------------------------------------------------- run(wait) over MCP

class Session:
    """One `goldfish serve` over newline-delimited JSON-RPC on stdio."""

    def __init__(self, goldfish, project):
        self.process = subprocess.Popen([goldfish, "serve"], cwd=project, env=env(), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-03-26", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"goldfish serve ended during {method}")
            answer = json.loads(line)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def tool(self, name, arguments):
        result = self.request("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(f"{name}: {result['content'][0]['text']}")
        return result.get("structuredContent") or json.loads(result["content"][0]["text"])

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def bench_run_wait(goldfish, repeat):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-speedrun-"))
    try:
        project = make_project(goldfish, work, LAST)
        session = Session(goldfish, project)
        after_stage, after_end = [], []
        try:
            for _ in range(repeat + 1):
                result = session.tool("run", {"workspace": "w1", "reason": REASON, "wait": True, "rerun": True})
                returned = time.time()
                if result.get("status") != "completed":
                    raise RuntimeError(f"the run did not complete: {result}")
                run_id = result["stage_runs"][0]["stage_run_id"]
                with database(project) as db:
                    finished = db.execute("SELECT finished_at FROM pipeline_runs WHERE id = ?",
                                          (result["pipeline_run_id"],)).fetchone()[0]
                after_stage.append(returned - marker(goldfish, project, run_id, "GF_END"))
                after_end.append(returned - moment(finished))
        finally:
            session.close()
        # The first run pays for opening the project in the server: left out.
        floor = python_exit_floor(repeat)
        return [("MCP `run(wait)`: stage's last instruction → answer (process)", statistics.median(after_stage[1:]),
                 "`python3`: last instruction → exit seen", floor),
                ("MCP `run(wait)`: run's end recorded → answer", statistics.median(after_end[1:]),
                 "`python3`: last instruction → exit seen", floor)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- trivial stage

def trivial_run(goldfish, project):
    start = time.time()
    subprocess.run([goldfish, "run", "w1", "--wait", "--rerun", "--reason", REASON], cwd=project, env=env(),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time()
    run_id, _ = latest_stage_run(project)
    phases = {"total": end - start}
    previous = start
    for state, at in transitions(project, run_id):
        phases["→ " + state] = moment(at) - previous
        previous = moment(at)
    phases["→ exit"] = end - previous
    return phases


def bench_trivial(goldfish, repeat, label, extra, baseline, backend="process"):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-speedrun-"))
    try:
        project = make_project(goldfish, work, LAST, extra, backend)
        trivial_run(goldfish, project)  # first run: caches, image
        samples = [trivial_run(goldfish, project) for _ in range(repeat)]
        medians = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
        print(f"  {label} phases (median ms): " +
              ", ".join(f"{key} {value * 1000:.0f}" for key, value in medians.items()), file=sys.stderr)
        name, base = baseline(project)
        return [(f"trivial stage, `run --wait` ({label})", medians["total"], name, base)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def python_baseline(repeat):
    def measure(project):
        script = project / "workspaces" / "w1" / "modules" / "probe.py"
        values = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([PYTHON, str(script)], check=True, stdout=subprocess.DEVNULL)
            values.append(time.perf_counter() - start)
        return "`python3 stage.py` directly", statistics.median(values)
    return measure


def docker_baseline(repeat):
    def measure(project):
        image = os.environ.get("GOLDFISH_PYTHON_IMAGE", "goldfish/python:3")
        with database(project) as db:
            # The stage image the run used: its build_ok transition says "image TAG".
            built = db.execute("SELECT reason FROM stage_state_transitions WHERE reason LIKE 'image %' "
                               "ORDER BY id DESC LIMIT 1").fetchone()
            image = built[0].split()[1] if built else image
        values = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(["docker", "run", "--rm", "--network", "none", image, "python3", "-c", "print('hello')"],
                           check=True, stdout=subprocess.DEVNULL)
            values.append(time.perf_counter() - start)
        return "`docker run --rm` of the stage image", statistics.median(values)
    return measure


def docker_section():
    """The engine at $DOCKER_HOST (scripts/docker-engine.sh) and its cached python image."""
    socket = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    image = os.environ.get("GOLDFISH_PYTHON_IMAGE", "goldfish/python:3")
    return f"\ndocker:\n  socket: {socket}\n  base_images:\n    cpu: {image}\n"


def docker_answers():
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True).returncode == 0


# ---------------------------------------------------------------- warm dispatch

POOL = "\nprocess:\n  warm_pool:\n    enabled: true\n    max_instances: 2\n    idle_timeout_seconds: 600\n"
DOCKER_POOL = "  warm_pool:\n    enabled: true\n    max_instances: 2\n    idle_timeout_seconds: 600\n"


def dispatch_time(goldfish, project):
    """From the run entering `launching` to the stage's first line."""
    subprocess.run([goldfish, "run", "w1", "--wait", "--rerun", "--reason", REASON], cwd=project, env=env(),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_id, _ = latest_stage_run(project)
    launching = next(moment(at) for state, at in transitions(project, run_id) if state == "launching")
    return marker(goldfish, project, run_id, "GF_STARTED") - launching


def warm_dispatch(goldfish, project, repeat):
    dispatch_time(goldfish, project)  # leaves a worker idle
    try:
        return statistics.median(dispatch_time(goldfish, project) for _ in range(repeat))
    finally:
        call(goldfish, project, "pool", "cleanup", "--json")


def bench_warm(goldfish, repeat, docker=True):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-speedrun-"))
    try:
        warm = make_project(goldfish, work / "warm", FIRST, POOL)
        fresh = make_project(goldfish, work / "fresh", FIRST)
        ours = warm_dispatch(goldfish, warm, repeat)
        cold = statistics.median(dispatch_time(goldfish, fresh) for _ in range(repeat))
        floor = python_start_floor(repeat, warm / "workspaces" / "w1" / "modules" / "probe.py")
        rows = [("launch → stage's first line, process: warm agent", ours, "`python3` start → first line", floor),
                ("launch → stage's first line, process: fresh process", cold, "`python3` start → first line", floor)]
        if not (docker and docker_answers()):
            return rows + [("launch → stage's first line, docker: warm container", None,
                            "no docker engine answers here", None)]
        container = make_project(goldfish, work / "docker", FIRST, docker_section() + DOCKER_POOL, "docker")
        rows.append(("launch → stage's first line, docker: warm container", warm_dispatch(goldfish, container, repeat),
                     "`python3` start → first line", floor))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- 20-stage DAG

DAG_STAGE = """import time
from goldfish.io import get_output_path, load_input, save_output
{load}time.sleep({sleep})
path = get_output_path("{output}")
with open(path, "w") as handle:
    handle.write("{name}")
save_output("{output}", path)
"""


def bench_dag(goldfish, repeat, chains=4, length=5, sleep=1.0):
    work = Path(tempfile.mkdtemp(prefix="gf-bench-speedrun-"))
    try:
        project = make_project(goldfish, work, LAST)
        slot = project / "workspaces" / "w1"
        lines = ["name: pipeline", "stages:"]
        for chain in range(chains):
            for step in range(length):
                name = f"c{chain}s{step}"
                lines.append(f"  - name: {name}")
                load = ""
                if step:
                    # An input takes the name of the upstream output it reads (as bench/run.py's DAG).
                    lines.append(f"    inputs:\n      o{step - 1}: {{type: file, from_stage: c{chain}s{step - 1}, "
                                 "schema: null}")
                    load = f'load_input("o{step - 1}")\n'
                lines.append(f"    outputs:\n      o{step}: {{type: file, schema: null}}")
                (slot / "modules" / f"{name}.py").write_text(
                    DAG_STAGE.format(load=load, sleep=sleep, name=name, output=f"o{step}"))
        (slot / "pipeline.yaml").write_text("\n".join(lines) + "\n")
        ours = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([goldfish, "run", "w1", "--wait", "--rerun", "--reason", REASON], cwd=project, env=env(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours.append(time.perf_counter() - start)
        sleeper = work / "sleep.py"
        sleeper.write_text(f"import time\ntime.sleep({sleep})\n")
        critical = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(length):
                subprocess.run([PYTHON, str(sleeper)], check=True)
            critical.append(time.perf_counter() - start)
        ours_s, critical_s = statistics.median(ours), statistics.median(critical)
        per_stage = (ours_s - critical_s) / length
        return [(f"{chains * length}-stage DAG ({chains} × {length}, {sleep:g} s stages; "
                 f"+{per_stage * 1000:.0f} ms per stage)", ours_s,
                 f"critical path: {length} × `python3` sleeping {sleep:g} s", critical_s)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_speed_run(goldfish, repeat, docker=True, only=None):
    parts = {
        "wait": lambda: bench_run_wait(goldfish, max(repeat, 5)),
        "trivial": lambda: bench_trivial(goldfish, repeat, "process backend", "", python_baseline(repeat)),
        "docker": lambda: bench_trivial(goldfish, repeat, "docker backend, image cached", docker_section(),
                                        docker_baseline(repeat), "docker") if docker and docker_answers() else
        [("trivial stage, `run --wait` (docker backend)", None, "no docker engine answers here", None)],
        "warm": lambda: bench_warm(goldfish, repeat, docker),
        "dag": lambda: bench_dag(goldfish, min(repeat, 3)),
    }
    rows = []
    for name, part in parts.items():
        if only and name not in only:
            continue
        try:
            rows += part()
        except Exception as failure:  # one part failing still leaves the others' rows
            print(f"speed_run {name}: {type(failure).__name__}: {failure}", file=sys.stderr)
            rows.append((f"run path: {name}", None, f"failed: {failure}"[:200], None))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-docker", action="store_true")
    parser.add_argument("--only", help="comma-separated: wait, trivial, docker, warm, dag")
    args = parser.parse_args()
    rows = bench_speed_run(find_goldfish(args.goldfish), args.repeat, not args.no_docker,
                           args.only.split(",") if args.only else None)
    for measure, ours, baseline, base in rows:
        if ours is None or base is None:
            print(f"| {measure} | — | {baseline} | — | — |")
        else:
            print(f"| {measure} | {ours * 1000:.1f} ms | {baseline} | {base * 1000:.1f} ms | {ours / base:.2f}× |")


if __name__ == "__main__":
    main()
