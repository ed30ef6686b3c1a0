#!/usr/bin/env python3
"""Issue #17's file rows, each against a baseline measured side by side in the same invocation.

    python3 bench/speed_fs.py [--goldfish PATH] [--repeat N] [--files N] [--storage-mb N]

`bench_speed_fs(goldfish, repeat, files, storage_mb)` returns rows `(measure, ours, baseline
measure, baseline)` in seconds, as bench/run.py prints them (section `speed_fs`):

* re-save of `files` unchanged files (`goldfish workspace checkpoint`, a whole process, nothing to
  save) with the slot's stat cache, against the same with the cache removed before each run (every
  file read and hashed: what a re-save cost before the cache) and against `git add -A && git
  commit` on the same unchanged tree in a git repository (git's index is the same kind of cache);
* checkpoint of `files` new files (sync + commit + tag) against `git add -A && git commit && git
  tag` of the same tree; every repetition in a fresh project / repository, dirty pages flushed first;
* `goldfish storage put` of a `storage_mb` MiB file to the `file` storage (copied, hashed, fsynced,
  renamed) against `cp` + `sync FILE` (copied and fsynced).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REASON = ["--reason", "benchmark the file paths"]
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")


def env():
    result = dict(os.environ)
    result.pop("GOLDFISH_PLUGIN_PATH", None)
    result["GOLDFISH_LOG_LEVEL"] = "warning"
    return result


def quiet(command, cwd=None, environment=None, check=True):
    subprocess.run(command, cwd=cwd, env=environment or env(), check=check, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_project(goldfish, parent):
    quiet([goldfish, "init", "bench", "--path", str(parent / "bench")])
    project = parent / "bench"
    quiet([goldfish, "workspace", "create", "w", "--goal", "bench", *REASON], cwd=project)
    quiet([goldfish, "workspace", "mount", "w", "w1", *REASON], cwd=project)
    return project


def write_files(folder, count, size=256):
    """`count` files of `size` random bytes (plus their index), 100 per folder."""
    payload = os.urandom(size)
    for index in range(count):
        sub = folder / f"d{index // 1000:03d}" / f"e{index % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{index}.txt").write_bytes(payload + str(index).encode())


def clock(command, cwd=None, environment=None, setup=None, repeat=3):
    samples = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        quiet(command, cwd=cwd, environment=environment)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def checkpoint(goldfish, project, message="bench"):
    return [goldfish, "workspace", "checkpoint", "w1", "--message", message]


def resave_rows(goldfish, files, repeat, work):
    project = make_project(goldfish, work / "resave")
    write_files(project / "workspaces" / "w1", files)
    quiet(checkpoint(goldfish, project, "all files"), cwd=project)
    cache = project / ".goldfish" / "cache" / "stat" / "w1"
    if not cache.exists():
        raise RuntimeError(f"no stat cache at {cache} after a checkpoint")
    os.sync()
    time.sleep(0.05)  # past the racy-git window of the files just written
    quiet(checkpoint(goldfish, project, "refresh"), cwd=project)  # racy entries, if any, now settled
    ours = clock(checkpoint(goldfish, project, "unchanged"), cwd=project, repeat=max(repeat, 5))
    cold = clock(checkpoint(goldfish, project, "unchanged"), cwd=project, setup=lambda: cache.unlink(missing_ok=True),
                 repeat=min(repeat, 3))
    repo = work / "resave-git"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_files(repo, files)
    for command in (["git", "add", "-A"], ["git", "-c", "gc.auto=0", "commit", "-qm", "all"]):
        quiet(command, cwd=repo, environment=GIT_ENV)
    git = clock(["sh", "-c", "git add -A && { git -c gc.auto=0 commit -qm again || true; }"], cwd=repo,
                environment=GIT_ENV, repeat=max(repeat, 5))
    label = f"re-save, {files:,} unchanged files"
    return [(label, ours, "same, stat cache removed (every file read)", cold),
            (label, ours, "`git add -A && git commit` (nothing to commit)", git)]


def new_files_rows(goldfish, files, repeat, work):
    samples, git_samples = [], []
    for index in range(repeat):
        (work / f"p{index}").mkdir()
        project = make_project(goldfish, work / f"p{index}")
        write_files(project / "workspaces" / "w1", files)
        os.sync()
        start = time.perf_counter()
        quiet(checkpoint(goldfish, project, "new files"), cwd=project)
        samples.append(time.perf_counter() - start)
        shutil.rmtree(work / f"p{index}", ignore_errors=True)
    for index in range(repeat):
        repo = work / f"git{index}"
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        write_files(repo, files)
        os.sync()
        start = time.perf_counter()
        for command in (["git", "add", "-A"], ["git", "-c", "gc.auto=0", "commit", "-qm", "bench"],
                        ["git", "tag", f"t{index}"]):
            quiet(command, cwd=repo, environment=GIT_ENV)
        git_samples.append(time.perf_counter() - start)
        shutil.rmtree(repo, ignore_errors=True)
    return [(f"checkpoint (sync+commit+tag), {files:,} new files", statistics.median(samples),
             "`git add -A && git commit && git tag`", statistics.median(git_samples))]


def put_rows(goldfish, size_mb, repeat, work):
    project = make_project(goldfish, work / "put")
    blob = work / "blob"
    with open(blob, "wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(1 << 20))
    ours = clock([goldfish, "storage", "put", str(blob), "bench/blob"], cwd=project, setup=os.sync, repeat=repeat)
    copy = work / "copy"

    def fresh_target():
        copy.unlink(missing_ok=True)
        os.sync()

    cp = clock(["sh", "-c", f"cp '{blob}' '{copy}' && sync '{copy}'"], setup=fresh_target, repeat=repeat)
    rate = lambda seconds: f"{size_mb / seconds:.0f} MiB/s"
    return [(f"file put {size_mb} MiB ({rate(ours)})", ours, f"`cp` + `sync FILE` ({rate(cp)})", cp)]


def bench_speed_fs(goldfish, repeat, files=100_000, storage_mb=256):
    rows = []
    for name, body in [("re-save", lambda work: resave_rows(goldfish, files, repeat, work)),
                       ("new files", lambda work: new_files_rows(goldfish, files, 1 if files >= 50_000 else repeat,
                                                                 work)),
                       ("put", lambda work: put_rows(goldfish, storage_mb, repeat, work))]:
        work = Path(tempfile.mkdtemp(prefix=f"gf-bench-fs-{name.replace(' ', '-')}-"))
        try:
            rows += body(work)
        except Exception as failure:  # one part failing leaves the others' rows
            rows.append((f"{name}: failed: {type(failure).__name__}: {failure}", None, "", None))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldfish", default=str(ROOT / ".build" / "release" / "goldfish"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--storage-mb", type=int, default=256)
    args = parser.parse_args()
    for measure, ours, baseline, base in bench_speed_fs(os.path.abspath(args.goldfish), args.repeat, args.files,
                                                        args.storage_mb):
        ratio = f"{ours / base:.2f}×" if ours and base else "—"
        print(f"| {measure} | {ours} | {baseline} | {base} | {ratio} |")


if __name__ == "__main__":
    main()
