#!/usr/bin/env python3
"""The slurm backend's overhead against bare `sbatch` of the same command on the same cluster.

    python3 bench/slurm.py [--goldfish PATH] [--repeat N]

`bench_slurm(goldfish, repeat)` returns rows `(measure, ours, baseline measure, baseline)` in
seconds, as bench/run.py prints them. The cluster is the one of scripts/slurm-local.sh: the one
named by GOLDFISH_SLURM_URL and SLURM_CONF when set, else one started (and stopped) here.

* submit → running: from invoking `goldfish run w1 probe --wait` to the stage's own first line (it
  prints time.time()), against from invoking `sbatch --wrap` of the same command (`python3 -m
  goldfish.io.bootstrap modules.probe` in the same code folder, with the library on PYTHONPATH) to
  that line;
* end to end: the whole `goldfish run --wait` (version, launch, job, outputs and log recorded),
  against `sbatch --wrap` of the same command until `squeue` (polled every 50 ms) says it ended.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from warm_pool import REASON, cli_env, find_goldfish, make_project  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import time; print(f'GF_STARTED {time.time():.6f}', flush=True)"


def local_cluster():
    """The cluster's environment, and a function stopping it when it was started here."""
    if os.environ.get("GOLDFISH_SLURM_URL") and os.environ.get("SLURM_CONF"):
        return dict(os.environ), lambda: None
    started = subprocess.run([str(ROOT / "scripts/slurm-local.sh"), "start"], check=True, capture_output=True,
                             text=True)
    env = dict(os.environ)
    for line in started.stdout.splitlines():
        if line.startswith("export "):
            for pair in line[len("export "):].split():
                key, _, value = pair.partition("=")
                env[key] = value
    folder = env["GOLDFISH_SLURM_DIR"]
    return env, lambda: subprocess.run([str(ROOT / "scripts/slurm-local.sh"), "stop", folder], check=False,
                                       capture_output=True)


def latest_run(goldfish, project, env):
    runs = json.loads(subprocess.run([goldfish, "runs", "--json", "--limit", "1"], cwd=project, env=env, check=True,
                                     capture_output=True, text=True).stdout)
    return runs[0]["stage_run_id"]


def goldfish_sample(goldfish, project, env):
    """(seconds to the stage's first line, seconds for the whole run) of one `goldfish run --wait`."""
    start = time.time()
    subprocess.run([goldfish, "run", "w1", "probe", "--wait", "--rerun", "--reason", REASON], cwd=project, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = time.time() - start
    run_id = latest_run(goldfish, project, env)
    logs = subprocess.run([goldfish, "logs", run_id], cwd=project, env=env, check=True, capture_output=True, text=True)
    for line in logs.stdout.splitlines():
        if line.startswith("GF_STARTED "):
            return float(line.split()[1]) - start, total
    raise RuntimeError(f"run {run_id} printed no start time")


def sbatch_sample(folder, code, env):
    """The same two numbers for `sbatch --wait --wrap` of the stage's own command."""
    output = folder / f"sbatch-{time.time_ns()}.out"
    outputs = folder / f"outputs-{time.time_ns()}"
    outputs.mkdir()
    library = ROOT / "python"
    start = time.time()
    job = subprocess.run(["sbatch", "--parsable", "--partition", "debug", "--chdir", str(code),
                          f"--export=PATH,PYTHONPATH={library}:{code},GOLDFISH_OUTPUTS_DIR={outputs}",
                          "--output", str(output), "--wrap", "python3 -m goldfish.io.bootstrap modules.probe"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip().split(";")[0]
    # `sbatch --wait` sleeps seconds between its checks: poll as goldfish's driver does instead.
    while True:
        state = subprocess.run(["squeue", "-h", "-t", "all", "-j", job, "-o", "%T"], env=env, capture_output=True,
                               text=True).stdout.strip()
        if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
            break
        time.sleep(0.05)
    total = time.time() - start
    for line in output.read_text().splitlines():
        if line.startswith("GF_STARTED "):
            return float(line.split()[1]) - start, total
    raise RuntimeError(f"the sbatch job printed no start time in {output}")


def bench_slurm(goldfish, repeat):
    env, stop = local_cluster()
    work = Path(tempfile.mkdtemp(prefix="gf-bench-slurm-"))
    try:
        os.chmod(work, 0o755)
        section = (f"\nslurm:\n  url: {env['GOLDFISH_SLURM_URL']}\n  user: {env.get('GOLDFISH_SLURM_USER', 'root')}\n"
                   f"  token_file: {env['GOLDFISH_SLURM_TOKEN_FILE']}\n  partition: debug\n"
                   "  profiles:\n    cpu-small: {cpus: 1, memory_mb: 100}\n")
        project = make_project(goldfish, work, section, "slurm")
        (project / "workspaces/w1/modules/probe.py").write_text(PROBE + "\n")
        env = {**cli_env(), **{k: v for k, v in env.items() if k.startswith(("SLURM_", "GOLDFISH_SLURM"))}}
        goldfish_sample(goldfish, project, env)  # the first run also versions the workspace
        code = project / "workspaces" / "w1"
        sbatch_sample(work, code, env)
        ours, base = [], []
        for _ in range(repeat):  # interleaved, so a burst of load on the machine hits both sides
            ours.append(goldfish_sample(goldfish, project, env))
            base.append(sbatch_sample(work, code, env))
        median = lambda values, index: statistics.median(value[index] for value in values)  # noqa: E731
        return [
            ("slurm: run → stage running", median(ours, 0), "sbatch --wrap → job running", median(base, 0)),
            ("slurm: run --wait, end to end", median(ours, 1), "sbatch --wrap until squeue says ended", median(base, 1)),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldfish")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name, ours, baseline, base in bench_slurm(find_goldfish(args.goldfish), args.repeat):
        print(f"{name}: {ours:.3f} s | {baseline}: {base:.3f} s | {ours / base:.2f}x")


if __name__ == "__main__":
    main()
