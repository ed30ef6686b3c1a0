"""goldfish.metrics: upstream's module names over goldfish.io's one metrics writer."""

import time

import pytest

import goldfish.io as gio
import goldfish.metrics as gm
from goldfish.io import GoldfishIOError


def test_upstream_names_are_there():
    for name in [
        "log_metric", "log_metrics", "log_artifact", "log_artifacts", "finish_metrics", "flush_metrics",
        "had_backend_errors", "get_backend_errors", "get_logger",
    ]:
        assert callable(getattr(gm, name)), name
    assert set(gm.__all__) >= {"log_metric", "log_artifacts", "get_logger"}


def test_same_file_as_goldfish_io(run):
    gm.log_metric("loss", 0.5, step=1)
    gio.log_metric("loss", 0.25, step=2)  # one writer: the step rule spans both imports
    with pytest.raises(GoldfishIOError, match="first logged with a step"):
        gm.log_metric("loss", 0.1)
    gm.log_metrics({"acc": 0.9, "f1": 0.8}, step=2)
    gm.flush_metrics()
    lines = run.metric_lines()
    assert [(l["name"], l["value"], l["step"]) for l in lines] == [
        ("loss", 0.5, 1), ("loss", 0.25, 2), ("acc", 0.9, 2), ("f1", 0.8, 2),
    ]


def test_log_artifacts_is_all_or_nothing(run):
    with pytest.raises(GoldfishIOError, match="give a path relative to the outputs dir"):
        gm.log_artifacts({"plot": "plots/loss.png", "bad": "../escape"})
    gm.flush_metrics()
    assert run.metric_lines() == []
    gm.log_artifacts({"plot": "plots/loss.png", "weights": "model"})
    gm.flush_metrics()
    assert [(l["type"], l["name"], l["path"]) for l in run.metric_lines()] == [
        ("artifact", "plot", "plots/loss.png"), ("artifact", "weights", "model"),
    ]
    with pytest.raises(GoldfishIOError, match="takes a dict"):
        gm.log_artifacts(["plots/loss.png"])


def test_logger_object_writes_the_same(run):
    logger = gm.get_logger()
    assert logger is gm.get_logger()
    logger.log_metric("rows", 3)
    logger.log_artifact("report", "report.csv")
    logger.flush()
    assert [l["name"] for l in run.metric_lines()] == ["rows", "report"]
    assert logger.had_backend_errors() is False and logger.get_backend_errors() == []
    logger.finish()


def test_background_flush_failures_are_backend_errors(run, monkeypatch):
    broken = run.outputs / "broken"
    broken.mkdir()
    (broken / ".goldfish").write_text("a file where the runtime folder belongs")
    monkeypatch.setenv("GOLDFISH_METRICS_FLUSH_INTERVAL", "0.05")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(broken))
    gm.log_metric("m", 1)
    deadline = time.monotonic() + 10
    while not gm.had_backend_errors() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gm.had_backend_errors()
    assert "cannot write metrics" in gm.get_backend_errors()[0]
