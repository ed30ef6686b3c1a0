import json
import os
import subprocess
import sys

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError

from conftest import DEFAULT_CONFIG, PYTHON_DIR


def test_public_api_is_complete():
    expected = {
        "GoldfishIOError", "load_input", "save_output", "get_config", "get_input_path",
        "get_output_path", "log_metric", "log_metrics", "log_artifact", "flush_metrics",
        "finish_metrics", "heartbeat", "get_heartbeat_age", "read_heartbeat", "runtime_log",
        "should_stop", "save_checkpoint", "load_checkpoint", "list_checkpoints", "checkpoint",
    }
    assert set(gio.__all__) == expected
    assert all(hasattr(gio, name) for name in gio.__all__)
    assert gio.checkpoint is gio.save_checkpoint
    assert issubclass(GoldfishIOError, Exception)


def test_import_outside_goldfish_works_and_calls_say_why():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLDFISH_")}
    env["PYTHONPATH"] = str(PYTHON_DIR)
    code = (
        "import goldfish.io as g\n"
        "calls = [lambda: g.get_config(), lambda: g.load_input('x'), lambda: g.save_output('x', 1),\n"
        "         lambda: g.log_metric('a', 1), lambda: g.heartbeat(), lambda: g.should_stop(),\n"
        "         lambda: g.save_checkpoint('c', 1), lambda: g.flush_metrics(), lambda: g.runtime_log('m')]\n"
        "for c in calls:\n"
        "    try:\n"
        "        c()\n"
        "    except g.GoldfishIOError as e:\n"
        "        print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == 9
    assert all("not running under Goldfish: GOLDFISH_STAGE_CONFIG is not set" in line for line in lines)


def test_get_config_returns_the_stage_config_as_a_copy(run):
    config = gio.get_config()
    assert config["lr"] == 0.01
    assert config["stage"] == "train"
    assert set(config["inputs"]) == {"features", "table", "raw", "single", "ds"}
    config["lr"] = 99
    config["inputs"].clear()
    assert gio.get_config()["lr"] == 0.01
    assert gio.get_config()["inputs"]


def test_config_follows_the_environment(run):
    run.set_config({"stage": "eval", "k": 1})
    assert gio.get_config() == {"stage": "eval", "k": 1}


def test_invalid_config_json(run, monkeypatch):
    monkeypatch.setenv("GOLDFISH_STAGE_CONFIG", "{not json")
    with pytest.raises(GoldfishIOError, match="GOLDFISH_STAGE_CONFIG is not valid JSON"):
        gio.get_config()


def test_config_must_be_an_object(run, monkeypatch):
    monkeypatch.setenv("GOLDFISH_STAGE_CONFIG", json.dumps([1, 2]))
    with pytest.raises(GoldfishIOError, match="must be a JSON object"):
        gio.get_config()


@pytest.mark.parametrize("key", ["inputs", "outputs"])
def test_signal_tables_must_be_objects(run, key):
    run.set_config({key: ["a"]})
    with pytest.raises(GoldfishIOError, match=rf"GOLDFISH_STAGE_CONFIG.{key} must be an object"):
        gio.get_config()


def test_default_directories(run, monkeypatch):
    from goldfish.io import _context

    monkeypatch.delenv("GOLDFISH_INPUTS_DIR")
    monkeypatch.delenv("GOLDFISH_OUTPUTS_DIR")
    ctx = _context.current()
    assert str(ctx.inputs_dir) == "/mnt/inputs"
    assert str(ctx.outputs_dir) == "/mnt/outputs"
    assert str(ctx.runtime_dir) == "/mnt/outputs/.goldfish"
    assert ctx.run_id == "stage-abc123" and ctx.git_sha == "w1-v3" and ctx.project == "proj"


def test_config_comes_from_the_file_the_host_writes_even_when_it_is_large(run):
    # A 200 KB value in the environment makes exec fail ("Argument list too long"): the host
    # writes the config into the inputs folder and names it in GOLDFISH_STAGE_CONFIG_FILE.
    big = "x" * 200_000
    config = dict(DEFAULT_CONFIG, blob=big)
    (run.inputs / "goldfish.stage_config.json").write_text(json.dumps(config))
    run.monkeypatch.delenv("GOLDFISH_STAGE_CONFIG")
    run.monkeypatch.setenv("GOLDFISH_STAGE_CONFIG_FILE", "goldfish.stage_config.json")
    result = run.run_stage(
        "from goldfish.io import get_config\nc = get_config()\nprint(len(c['blob']), c['lr'])\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200000", "0.01"]


def test_a_missing_config_file_says_which_file(run):
    run.monkeypatch.delenv("GOLDFISH_STAGE_CONFIG")
    run.monkeypatch.setenv("GOLDFISH_STAGE_CONFIG_FILE", "goldfish.stage_config.json")
    with pytest.raises(GoldfishIOError, match=r"cannot read the stage config .*goldfish.stage_config.json"):
        gio.get_config()
