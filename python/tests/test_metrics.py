import json
import math
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError, _metrics

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_metric_line_format(run):
    gio.log_metric("loss", 0.5, step=3)
    gio.log_metric("accuracy", 1)
    gio.flush_metrics()
    first, second = run.metric_lines()
    assert set(first) == {"type", "name", "value", "step", "timestamp"}
    assert first["type"] == "metric" and first["name"] == "loss" and first["value"] == 0.5 and first["step"] == 3
    assert second["name"] == "accuracy" and second["value"] == 1.0 and second["step"] is None
    assert ISO_UTC.match(first["timestamp"])


def test_log_metrics_shares_step_and_time(run):
    gio.log_metrics({"a": 1, "b/c": 2.5, "d.e:f-g": 3}, step=7, timestamp=0)
    gio.flush_metrics()
    lines = run.metric_lines()
    assert [(l["name"], l["value"], l["step"]) for l in lines] == [("a", 1.0, 7), ("b/c", 2.5, 7), ("d.e:f-g", 3.0, 7)]
    assert {l["timestamp"] for l in lines} == {"1970-01-01T00:00:00.000000Z"}


def test_log_metrics_is_all_or_nothing(run):
    with pytest.raises(GoldfishIOError, match="metric 'bad'"):
        gio.log_metrics({"good": 1, "bad": float("nan")})
    gio.flush_metrics()
    assert run.metric_lines() == []
    with pytest.raises(GoldfishIOError, match="log_metrics takes a dict"):
        gio.log_metrics([("a", 1)])


@pytest.mark.parametrize(
    "given, expected",
    [
        (1_700_000_000, "2023-11-14T22:13:20.000000Z"),
        (1_700_000_000.25, "2023-11-14T22:13:20.250000Z"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05.000000Z"),  # naive means UTC
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))), "2024-01-02T01:04:05.000000Z"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000000Z"),
        ("2024-01-02T03:04:05+01:00", "2024-01-02T02:04:05.000000Z"),
    ],
)
def test_timestamps_become_iso_utc(run, given, expected):
    gio.log_metric("m", 1, timestamp=given)
    gio.flush_metrics()
    assert run.metric_lines()[0]["timestamp"] == expected


@pytest.mark.parametrize("bad, message", [("yesterday", "is not ISO-8601"), ([1], "timestamp must be None"), (True, "timestamp must be None"), (float("nan"), "not a valid epoch time")])
def test_bad_timestamps(run, bad, message):
    with pytest.raises(GoldfishIOError, match=message):
        gio.log_metric("m", 1, timestamp=bad)


@pytest.mark.parametrize("name", ["", "1abc", "_x", "a b", "a" * 257, None, "loss!"])
def test_bad_names(run, name):
    with pytest.raises(GoldfishIOError, match="invalid metric name .*start with a letter"):
        gio.log_metric(name, 1)


def test_longest_name_is_accepted(run):
    gio.log_metric("a" * 256, 1)


@pytest.mark.parametrize("value", [True, False, "1", None, [1], {"a": 1}])
def test_non_numbers_are_rejected(run, value):
    with pytest.raises(GoldfishIOError, match="value must be an int or float"):
        gio.log_metric("m", value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -math.inf])
def test_nan_and_inf_are_rejected(run, value):
    with pytest.raises(GoldfishIOError, match="NaN and infinity are not recorded"):
        gio.log_metric("m", value)


def test_numpy_scalars_are_numbers(run):
    np = pytest.importorskip("numpy")
    gio.log_metric("a", np.float32(0.5))
    gio.log_metric("b", np.int64(3))
    gio.log_metric("c", np.array(2.0))
    with pytest.raises(GoldfishIOError, match="value must be"):
        gio.log_metric("d", np.bool_(True))
    gio.flush_metrics()
    assert [l["value"] for l in run.metric_lines()] == [0.5, 3.0, 2.0]


@pytest.mark.parametrize("step", [-1, 1.5, "3", True])
def test_bad_steps(run, step):
    with pytest.raises(GoldfishIOError, match="step must be a non-negative int or None"):
        gio.log_metric("m", 1, step=step)


def test_step_use_must_be_consistent(run):
    gio.log_metric("loss", 1, step=0)
    with pytest.raises(GoldfishIOError, match="metric 'loss' was first logged with a step; log it with a step every time"):
        gio.log_metric("loss", 1)
    gio.log_metric("acc", 1)
    with pytest.raises(GoldfishIOError, match="metric 'acc' was first logged without a step"):
        gio.log_metrics({"acc": 1}, step=2)


def test_distinct_name_limit(run, monkeypatch):
    monkeypatch.setenv("GOLDFISH_METRICS_MAX_NAMES", "3")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(run.outputs / "fresh"))  # a new writer reads the limit
    gio.log_metrics({"a": 1, "b": 1, "c": 1})
    gio.log_metric("a", 2)  # known names stay fine
    with pytest.raises(GoldfishIOError, match=r"too many distinct metric names \(limit 3, from GOLDFISH_METRICS_MAX_NAMES\)"):
        gio.log_metric("d", 1)


def test_log_artifact(run):
    gio.log_artifact("model", "model/weights.bin")
    gio.flush_metrics()
    (line,) = run.metric_lines()
    assert line["type"] == "artifact" and line["name"] == "model" and line["path"] == "model/weights.bin"
    assert ISO_UTC.match(line["timestamp"])


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../b", "", "."])
def test_log_artifact_needs_a_relative_path(run, path):
    with pytest.raises(GoldfishIOError, match="give a path relative to the outputs dir"):
        gio.log_artifact("model", path)


def test_log_artifact_name_is_checked(run):
    with pytest.raises(GoldfishIOError, match="invalid artifact name"):
        gio.log_artifact("9", "x")


def test_flush_at_100_entries(run):
    for i in range(99):
        gio.log_metric("m", i, step=i)
    assert run.metric_lines() == []
    gio.log_metric("m", 99, step=99)
    assert [l["step"] for l in run.metric_lines()] == list(range(100))


def test_flush_by_time(run, monkeypatch):
    monkeypatch.setenv("GOLDFISH_METRICS_FLUSH_INTERVAL", "0.1")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(run.outputs / "timed"))  # new writer, new interval
    gio.log_metric("m", 1)
    path = run.outputs / "timed" / ".goldfish" / "metrics.jsonl"
    deadline = time.monotonic() + 10
    # The file is appended to, so wait for a whole line, as the host's tailer does.
    while not (path.exists() and path.read_text().endswith("\n")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(path.read_text())["name"] == "m"


def test_bad_flush_interval_falls_back_to_default(run, monkeypatch):
    monkeypatch.setenv("GOLDFISH_METRICS_FLUSH_INTERVAL", "soon")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(run.outputs / "x"))
    gio.log_metric("m", 1)
    assert _metrics._current.interval == 5.0


def test_thread_safety(run):
    threads, per_thread = 8, 500

    def work(t):
        for i in range(per_thread):
            gio.log_metric(f"t{t}", i, step=i)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    gio.finish_metrics()
    lines = run.metric_lines()  # every line parses: none was interleaved
    assert len(lines) == threads * per_thread
    for t in range(threads):
        steps = [l["step"] for l in lines if l["name"] == f"t{t}"]
        assert steps == list(range(per_thread))  # each thread's order is kept


def test_finish_then_log_again(run):
    gio.log_metric("m", 1, step=0)
    gio.finish_metrics()
    assert len(run.metric_lines()) == 1
    gio.log_metric("m", 2, step=1)  # the step rule still applies after finish
    with pytest.raises(GoldfishIOError, match="first logged with a step"):
        gio.log_metric("m", 3)
    gio.finish_metrics()
    assert len(run.metric_lines()) == 2


def test_write_failure_keeps_the_buffer(run):
    gio.log_metric("m", 1)
    runtime = run.runtime
    runtime.mkdir(exist_ok=True)
    (runtime / "metrics.jsonl").mkdir()  # cannot be opened for appending
    with pytest.raises(GoldfishIOError, match="cannot write metrics to .*metrics.jsonl"):
        gio.flush_metrics()
    (runtime / "metrics.jsonl").rmdir()
    gio.flush_metrics()
    assert [l["value"] for l in run.metric_lines()] == [1.0]


def test_atexit_flushes_without_finish(run):
    # No bootstrap, no flush call, a flush interval of an hour: only atexit can write these.
    code = "import goldfish.io as g\nfor i in range(5): g.log_metric('m', i, step=i)\n"
    out = subprocess.run([sys.executable, "-c", code], env=run.env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert [l["step"] for l in run.metric_lines()] == [0, 1, 2, 3, 4]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_child_does_not_rewrite_the_parents_buffer(run):
    import os

    gio.log_metric("parent", 1)
    pid = os.fork()
    if pid == 0:  # child: log its own metric and flush; must not carry "parent" along
        try:
            gio.log_metric("child", 2)
            gio.flush_metrics()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    gio.flush_metrics()
    assert sorted(l["name"] for l in run.metric_lines()) == ["child", "parent"]
