"""A fake Goldfish run in tmp_path: real directories, the real environment contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]

DEFAULT_CONFIG: dict[str, Any] = {
    "lr": 0.01,
    "stage": "train",
    "inputs": {
        "features": {"location": "file:///nowhere/features", "format": "npy", "type": "npy", "schema": None},
        "table": {"location": "file:///nowhere/table", "format": "csv", "type": "csv", "schema": None},
        "raw": {"location": "gs://bucket/raw", "format": "directory", "type": "directory", "schema": None},
        "single": {"type": "file", "schema": None},
        "ds": {"type": "dataset", "schema": None},
    },
    "outputs": {
        "preds": {"format": "npy", "type": "npy", "schema": None},
        "report": {"format": "csv", "type": "csv", "schema": None},
        "model": {"type": "directory", "schema": None},
        "summary": {"type": "file", "schema": None},
    },
}


@dataclass
class Run:
    root: Path
    inputs: Path
    outputs: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def runtime(self) -> Path:
        return self.outputs / ".goldfish"

    def set_config(self, config: dict[str, Any]) -> None:
        self.monkeypatch.setenv("GOLDFISH_STAGE_CONFIG", json.dumps(config))

    def env(self) -> dict[str, str]:
        """The environment for a subprocess stage, with this package importable."""
        env = dict(os.environ)  # includes the GOLDFISH_* the fixture set
        env["PYTHONPATH"] = os.pathsep.join([str(PYTHON_DIR), str(self.root / "ws")])
        return env

    def run_stage(self, source: str, *args: str, module: str = "modules.train") -> subprocess.CompletedProcess:
        """Write modules/<x>.py and run it through the bootstrap, as the host does."""
        ws = self.root / "ws"
        (ws / "modules").mkdir(parents=True, exist_ok=True)
        (ws / "modules" / "train.py").write_text(source)
        return subprocess.run(
            [sys.executable, "-m", "goldfish.io.bootstrap", module, *args],
            cwd=ws, env=self.env(), capture_output=True, text=True, timeout=60,
        )

    def metric_lines(self) -> list[dict[str, Any]]:
        path = self.runtime / "metrics.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from goldfish.io import _heartbeat, _metrics

    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    inputs.mkdir()
    outputs.mkdir()
    for key in list(os.environ):
        if key.startswith("GOLDFISH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GOLDFISH_RUN_ID", "stage-abc123")
    monkeypatch.setenv("GOLDFISH_WORKSPACE", "w1")
    monkeypatch.setenv("GOLDFISH_STAGE", "train")
    monkeypatch.setenv("GOLDFISH_PROJECT_NAME", "proj")
    monkeypatch.setenv("GOLDFISH_GIT_SHA", "w1-v3")
    monkeypatch.setenv("GOLDFISH_INPUTS_DIR", str(inputs))
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(outputs))
    monkeypatch.setenv("GOLDFISH_METRICS_FLUSH_INTERVAL", "3600")  # tests flush on purpose
    r = Run(tmp_path, inputs, outputs, monkeypatch)
    r.set_config(DEFAULT_CONFIG)
    monkeypatch.setattr(_heartbeat, "_last_write", None)
    yield r
    # Stop this test's background flusher before the next test gets a new run dir.
    writer = _metrics._current
    if writer is not None:
        try:
            writer.close()
        except Exception:
            pass
    _metrics._current = None
