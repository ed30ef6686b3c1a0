import pickle

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError


def ckdir(run):
    return run.runtime / "checkpoints"


def test_pickle_checkpoint_roundtrip(run):
    path = gio.save_checkpoint("state", {"epoch": 3, "opt": [1, 2]})
    assert path == ckdir(run) / "state.pkl"
    assert gio.load_checkpoint("state") == path
    assert pickle.loads(path.read_bytes()) == {"epoch": 3, "opt": [1, 2]}


def test_array_checkpoint(run):
    np = pytest.importorskip("numpy")
    path = gio.save_checkpoint("weights", np.arange(3), step=10)
    assert path == ckdir(run) / "weights" / "step_10.npy"
    assert np.load(gio.load_checkpoint("weights", step=10)).tolist() == [0, 1, 2]


def test_file_and_directory_checkpoints_are_copied(run, tmp_path):
    f = tmp_path / "model.pt"
    f.write_bytes(b"abc")
    path = gio.save_checkpoint("model", f)
    assert path == ckdir(run) / "model" and path.read_bytes() == b"abc"
    d = tmp_path / "tok"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "vocab.txt").write_text("a b")
    path = gio.save_checkpoint("tok", d, step=2)
    assert (path / "sub" / "vocab.txt").read_text() == "a b"
    f.write_bytes(b"changed")  # a copy, not a link
    assert gio.load_checkpoint("model").read_bytes() == b"abc"


def test_latest_step_is_loaded_by_default(run):
    for step in (1, 10, 2):
        gio.save_checkpoint("ck", {"s": step}, step=step)
    latest = gio.load_checkpoint("ck")
    assert latest == ckdir(run) / "ck" / "step_10.pkl"
    assert pickle.loads(gio.load_checkpoint("ck", step=2).read_bytes()) == {"s": 2}
    assert gio.load_checkpoint("ck", step=3) is None


def test_missing_checkpoint_is_none(run):
    assert gio.load_checkpoint("nothing") is None


def test_resaving_replaces_in_any_form(run, tmp_path):
    np = pytest.importorskip("numpy")
    gio.save_checkpoint("x", {"a": 1})
    gio.save_checkpoint("x", np.zeros(2))
    assert gio.load_checkpoint("x") == ckdir(run) / "x.npy"
    assert not (ckdir(run) / "x.pkl").exists()
    d = tmp_path / "d"
    d.mkdir()
    (d / "f").write_text("1")
    gio.save_checkpoint("x", d)
    assert gio.load_checkpoint("x") == ckdir(run) / "x"
    f = tmp_path / "f"
    f.write_text("2")
    gio.save_checkpoint("x", f)  # a file replaces the directory
    assert (ckdir(run) / "x").read_text() == "2"
    assert sorted(p.name for p in ckdir(run).iterdir()) == ["x"]


def test_steps_and_no_steps_do_not_mix(run):
    gio.save_checkpoint("a", 1, step=1)
    with pytest.raises(GoldfishIOError, match="checkpoint 'a' was saved with steps; pass step= every time"):
        gio.save_checkpoint("a", 1)
    gio.save_checkpoint("b", 1)
    with pytest.raises(GoldfishIOError, match="checkpoint 'b' was saved without a step; save it without one"):
        gio.save_checkpoint("b", 1, step=1)


def test_list_checkpoints(run, tmp_path):
    assert gio.list_checkpoints() == {}
    gio.save_checkpoint("opt", {"lr": 1})
    gio.save_checkpoint("w", [1], step=5)
    gio.save_checkpoint("w", [2], step=1)
    d = tmp_path / "d"
    d.mkdir()
    (d / "config.json").write_text("{}")
    gio.save_checkpoint("tok", d)
    assert gio.list_checkpoints() == {
        "opt": {"steps": [], "location": str(ckdir(run) / "opt.pkl")},
        "tok": {"steps": [], "location": str(ckdir(run) / "tok")},
        "w": {"steps": [1, 5], "location": str(ckdir(run) / "w")},
    }


def test_checkpoint_is_an_alias(run):
    assert gio.checkpoint("c", 1, step=0) == ckdir(run) / "c" / "step_0.pkl"


def test_local_ok_is_accepted(run):
    assert gio.save_checkpoint("c", 1, local_ok=False).exists()


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", None, "x" * 129])
def test_bad_names(run, name):
    with pytest.raises(GoldfishIOError, match="invalid checkpoint name"):
        gio.save_checkpoint(name, 1)
    with pytest.raises(GoldfishIOError, match="invalid checkpoint name"):
        gio.load_checkpoint(name)


@pytest.mark.parametrize("step", [-1, "1", 1.0, True])
def test_bad_steps(run, step):
    with pytest.raises(GoldfishIOError, match="checkpoint step must be a non-negative int or None"):
        gio.save_checkpoint("c", 1, step=step)


def test_unpicklable(run):
    with pytest.raises(GoldfishIOError, match="checkpoint 'c' cannot be pickled"):
        gio.save_checkpoint("c", lambda: 1)
    assert gio.list_checkpoints() == {}


def test_missing_source_path(run, tmp_path):
    with pytest.raises(GoldfishIOError, match=r"save_checkpoint\('c'\): .*nope does not exist"):
        gio.save_checkpoint("c", tmp_path / "nope")


def test_other_runs_are_unreachable_outside_the_process_layout(run):
    # /mnt/outputs-like folders (docker, GCE): a run sees only its own outputs.
    assert gio.list_checkpoints(run_id="stage-abc123") == {}
    with pytest.raises(GoldfishIOError, match=r"checkpoints of run stage-other were not staged for this run: add `checkpoints_from: \[stage-other\]`"):
        gio.load_checkpoint("c", run_id="stage-other")
    with pytest.raises(GoldfishIOError, match="not staged"):
        gio.list_checkpoints(run_id="stage-other")


def test_checkpoints_the_host_staged_are_read_on_any_layout(run, tmp_path):
    # checkpoints_from: the host stages the other run's folder as the input checkpoints.<run id>.
    inputs = tmp_path / "inputs"
    staged = inputs / "checkpoints.stage-first0000001" / "model"
    staged.mkdir(parents=True)
    (staged / "step_4.pkl").write_bytes(pickle.dumps({"epoch": 4}))
    run.monkeypatch.setenv("GOLDFISH_INPUTS_DIR", str(inputs))
    found = gio.load_checkpoint("model", run_id="stage-first0000001")
    assert found == staged / "step_4.pkl"
    assert pickle.loads(found.read_bytes()) == {"epoch": 4}
    assert gio.list_checkpoints(run_id="stage-first0000001")["model"]["steps"] == [4]


def _as_run(run, runs, run_id):
    outputs = runs / run_id / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    run.monkeypatch.setenv("GOLDFISH_RUN_ID", run_id)
    run.monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(outputs))
    return outputs


def test_resume_from_another_runs_checkpoint(run, tmp_path):
    # The process backend's layout: <runs>/<run id>/outputs, one folder per run.
    runs = tmp_path / "runs"
    first = _as_run(run, runs, "stage-first0000001")
    gio.save_checkpoint("model", {"epoch": 3}, step=3)
    gio.save_checkpoint("model", {"epoch": 7}, step=7)
    gio.save_checkpoint("vocab", ["a", "b"])
    _as_run(run, runs, "stage-second000002")
    assert gio.load_checkpoint("model") is None, "this run has none of its own"
    latest = gio.load_checkpoint("model", run_id="stage-first0000001")
    assert latest == first / ".goldfish" / "checkpoints" / "model" / "step_7.pkl"
    assert pickle.loads(latest.read_bytes()) == {"epoch": 7}
    earlier = gio.load_checkpoint("model", step=3, run_id="stage-first0000001")
    assert pickle.loads(earlier.read_bytes()) == {"epoch": 3}
    assert gio.load_checkpoint("missing", run_id="stage-first0000001") is None
    listed = gio.list_checkpoints(run_id="stage-first0000001")
    assert listed["model"]["steps"] == [3, 7] and listed["vocab"]["steps"] == []


def test_another_run_that_is_not_there_or_a_bad_id(run, tmp_path):
    _as_run(run, tmp_path / "runs", "stage-second000002")
    with pytest.raises(GoldfishIOError, match="no run stage-nothere in"):
        gio.load_checkpoint("model", run_id="stage-nothere")
    for bad in ["../stage-second000002", "a/b", "", 7]:
        with pytest.raises(GoldfishIOError, match="invalid run id"):
            gio.load_checkpoint("model", run_id=bad)


def test_interrupted_first_stepped_save_does_not_block(run):
    (ckdir(run) / "c").mkdir(parents=True)  # what a crash between mkdir and write leaves
    assert gio.load_checkpoint("c") is None
    gio.save_checkpoint("c", 1, step=0)
    assert gio.load_checkpoint("c") == ckdir(run) / "c" / "step_0.pkl"
