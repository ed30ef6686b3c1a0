"""The bootstrap as the host runs it: a real `python -m goldfish.io.bootstrap` subprocess."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

STAGE_OK = """
import goldfish.io as g
for i in range(3):
    g.log_metric("loss", 1.0 / (i + 1), step=i)
g.save_output("report", [{"a": 1}])
print("stage done")
"""


def final_heartbeat(run):
    return json.loads((run.runtime / "heartbeat").read_text())


def test_success_exits_0_and_finalizes(run):
    result = run.run_stage(STAGE_OK)
    assert result.returncode == 0, result.stderr
    assert "stage done" in result.stdout
    assert result.stderr == ""
    assert [l["step"] for l in run.metric_lines()] == [0, 1, 2]  # flushed without an explicit flush
    hb = final_heartbeat(run)
    assert hb["message"] == "stage finished (exit code 0)"
    assert hb["pid"] == int(hb["pid"])
    assert json.loads((run.runtime / "outputs.json").read_text())["report"]["path"] == "report.csv"


def test_module_runs_as_main_with_its_args(run):
    source = "import sys\nprint(__name__, sys.argv[1:])\n"
    result = run.run_stage(source, "--epochs", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "__main__ ['--epochs', '3']"


def test_exception_exits_1_with_the_traceback(run):
    source = STAGE_OK + "\ndef boom():\n    raise ValueError('bad shapes')\nboom()\n"
    result = run.run_stage(source)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ValueError: bad shapes" in result.stderr
    assert "in boom" in result.stderr and "modules/train.py" in result.stderr
    assert "runpy" not in result.stderr and "bootstrap.py" not in result.stderr  # the stage's frames only
    # finalization still happened, and did not replace the error
    assert len(run.metric_lines()) == 3
    assert final_heartbeat(run)["message"] == "stage finished (exit code 1)"


def test_goldfish_error_in_stage_is_shown(run):
    result = run.run_stage("import goldfish.io as g\ng.load_input('nope')\n")
    assert result.returncode == 1
    assert "GoldfishIOError: input 'nope' is not declared for stage 'train'" in result.stderr


@pytest.mark.parametrize("code, expected", [("3", 3), ("0", 0), ("None", 0), ("'fatal: no data'", 1)])
def test_sys_exit_code_is_kept(run, code, expected):
    result = run.run_stage(f"import goldfish.io as g, sys\ng.log_metric('m', 1)\nsys.exit({code})\n")
    assert result.returncode == expected
    assert len(run.metric_lines()) == 1
    assert final_heartbeat(run)["message"] == f"stage finished (exit code {expected})"
    if expected == 1:
        assert "fatal: no data" in result.stderr


def test_final_heartbeat_is_written_exactly_once(run):
    # A stage whose heartbeat file is watched: count replacements of the file by the pid's writes.
    source = (
        "import goldfish.io as g, goldfish.io._heartbeat as h, atexit\n"
        "writes = []\n"
        "real = h.write_text_atomic\n"
        "def spy(path, text):\n"
        "    writes.append(text)\n"
        "    real(path, text)\n"
        "h.write_text_atomic = spy\n"
        "atexit.register(lambda: open('writes.txt', 'w').write(str(sum('stage finished' in w for w in writes))))\n"
    )
    result = run.run_stage(source)
    assert result.returncode == 0, result.stderr
    assert (run.root / "ws" / "writes.txt").read_text() == "1"


def test_finalize_is_idempotent(run):
    from goldfish.io import bootstrap

    bootstrap._finalized = False
    try:
        assert bootstrap.finalize(0) is True
        first = final_heartbeat(run)
        time.sleep(0.01)
        assert bootstrap.finalize(0) is True
        assert final_heartbeat(run) == first
    finally:
        bootstrap._finalized = False


def test_syntax_error_in_stage(run):
    result = run.run_stage("def broken(:\n    pass\n")
    assert result.returncode == 1
    assert "SyntaxError" in result.stderr and "train.py" in result.stderr


def test_missing_stage_module(run):
    result = run.run_stage("", module="modules.nope")
    assert result.returncode == 1
    assert "goldfish: stage module 'modules.nope' not found" in result.stderr
    assert "modules/nope.py" in result.stderr


def test_missing_modules_package(run):
    result = run.run_stage("", module="elsewhere.train")
    assert result.returncode == 1
    assert "stage module 'elsewhere.train' not found" in result.stderr


def test_usage(run):
    result = subprocess.run([sys.executable, "-m", "goldfish.io.bootstrap"], env=run.env(), capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage: python -m goldfish.io.bootstrap modules.<stage>" in result.stderr


def test_lost_metrics_fail_a_successful_stage(run):
    # metrics.jsonl cannot be written (a directory is in its place): the run's record would be incomplete.
    run.runtime.mkdir()
    (run.runtime / "metrics.jsonl").mkdir()
    result = run.run_stage("import goldfish.io as g\ng.log_metric('m', 1)\n")
    assert result.returncode == 1
    assert "goldfish: metrics were not saved: cannot write metrics to" in result.stderr


def test_lost_metrics_do_not_mask_the_stage_exit_code(run):
    run.runtime.mkdir()
    (run.runtime / "metrics.jsonl").mkdir()
    result = run.run_stage("import goldfish.io as g, sys\ng.log_metric('m', 1)\nsys.exit(4)\n")
    assert result.returncode == 4


def test_sigterm_flushes_metrics(run):
    ws = run.root / "ws"
    (ws / "modules").mkdir(parents=True)
    (ws / "modules" / "train.py").write_text(
        "import goldfish.io as g, time\n"
        "g.log_metric('m', 1)\n"
        "open('ready', 'w').close()\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "goldfish.io.bootstrap", "modules.train"],
        cwd=ws, env=run.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (ws / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM
    assert [l["name"] for l in run.metric_lines()] == ["m"]
    assert final_heartbeat(run)["message"] == f"stage finished (exit code {128 + signal.SIGTERM})"
