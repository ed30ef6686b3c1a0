import json
import os
import re
import time

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError, _heartbeat


def read(run):
    return json.loads((run.runtime / "heartbeat").read_text())


def test_heartbeat_file(run):
    assert gio.read_heartbeat() is None
    assert gio.get_heartbeat_age() is None
    assert gio.heartbeat("epoch 1") is True
    data = read(run)
    assert set(data) == {"timestamp", "iso_time", "message", "pid"}
    assert data["message"] == "epoch 1" and data["pid"] == os.getpid()
    assert abs(data["timestamp"] - time.time()) < 5
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", data["iso_time"])
    assert gio.read_heartbeat() == data
    assert 0 <= gio.get_heartbeat_age() < 5


def test_heartbeat_without_message(run):
    gio.heartbeat()
    assert read(run)["message"] is None


def test_rate_limited_to_one_write_per_second(run, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(_heartbeat, "_monotonic", lambda: clock[0])
    assert gio.heartbeat("a") is True
    clock[0] += 0.5
    assert gio.heartbeat("b") is False
    assert read(run)["message"] == "a"
    assert gio.heartbeat("c", force=True) is True
    assert read(run)["message"] == "c"
    clock[0] += 0.9
    assert gio.heartbeat("d") is False  # the forced write counts too
    clock[0] += 0.2
    assert gio.heartbeat("e") is True
    assert read(run)["message"] == "e"


def test_rate_limit_in_real_time(run):
    assert gio.heartbeat("a")
    assert not gio.heartbeat("b")
    time.sleep(1.05)
    assert gio.heartbeat("c")
    assert read(run)["message"] == "c"


def test_heartbeat_is_replaced_atomically(run):
    gio.heartbeat("x")
    names = os.listdir(run.runtime)
    assert names == ["heartbeat"]  # no temp file left behind


def test_age_of_an_old_heartbeat(run):
    run.runtime.mkdir()
    (run.runtime / "heartbeat").write_text(json.dumps({"timestamp": time.time() - 100}))
    assert 99 < gio.get_heartbeat_age() < 110


def test_unreadable_heartbeat_is_none(run):
    run.runtime.mkdir()
    (run.runtime / "heartbeat").write_text("{half")
    assert gio.read_heartbeat() is None
    assert gio.get_heartbeat_age() is None


def test_runtime_log(run, capsys):
    gio.runtime_log("loading data")
    gio.runtime_log("slow disk", level="warning")
    out = capsys.readouterr().out.splitlines()
    pattern = r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "
    assert re.match(pattern + r"INFO: loading data$", out[0])
    assert re.match(pattern + r"WARNING: slow disk$", out[1])
    assert (run.runtime / "logs.txt").read_text().splitlines() == out


def test_runtime_log_is_capped_keeping_the_latter_half(run, monkeypatch, capsys):
    monkeypatch.setattr(_heartbeat, "LOG_CAP_BYTES", 1000)
    for i in range(60):
        gio.runtime_log(f"line {i:03d}")
    capsys.readouterr()
    text = (run.runtime / "logs.txt").read_text()
    assert len(text.encode()) <= 1000 + 100
    lines = text.splitlines()
    assert lines[-1].endswith("line 059")
    assert "line 000" not in text
    assert all(re.match(r"^\[.*\] INFO: line \d{3}$", l) for l in lines)  # cut at a line start


def test_should_stop(run):
    assert gio.should_stop() is False
    run.runtime.mkdir()
    (run.runtime / "stop_requested").write_text("")
    assert gio.should_stop() is True


def test_heartbeat_write_error(run, monkeypatch, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(blocker))
    with pytest.raises(GoldfishIOError, match="cannot create Goldfish runtime dir"):
        gio.heartbeat("x")
