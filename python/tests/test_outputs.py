import json
import os
import threading
from pathlib import Path

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError


def numpy():
    return pytest.importorskip("numpy")


def manifest(run):
    return json.loads((run.runtime / "outputs.json").read_text())


def visible_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


# ---- npy / csv ----------------------------------------------------------------------------


def test_save_npy(run):
    np = numpy()
    path = gio.save_output("preds", np.arange(4))
    assert path == run.outputs / "preds.npy"
    assert np.load(path).tolist() == [0, 1, 2, 3]
    assert manifest(run) == {"preds": {"path": "preds.npy", "type": "npy", "format": "npy", "artifact": False}}
    assert (path.stat().st_mode & 0o777) == 0o644  # readable by a host running as another user


def test_save_npy_refuses_objects_needing_pickle(run):
    np = numpy()
    with pytest.raises(GoldfishIOError, match="cannot save output 'preds' as npy"):
        gio.save_output("preds", np.array([{"a": 1}], dtype=object))
    assert visible_files(run.outputs) == []
    assert not (run.runtime / "outputs.json").exists()


def test_save_csv_from_list_of_dicts(run):
    path = gio.save_output("report", [{"a": 1, "b": "x"}, {"a": 2, "c": 3.5}])
    assert path == run.outputs / "report.csv"
    assert path.read_bytes() == b"a,b,c\n1,x,\n2,,3.5\n"
    assert manifest(run)["report"] == {"path": "report.csv", "type": "csv", "format": "csv", "artifact": False}


def test_csv_roundtrip_without_pandas(run, monkeypatch):
    from goldfish.io import _inputs

    monkeypatch.setattr(_inputs, "optional_module", lambda name: None)
    gio.save_output("report", [{"a": 1, "b": "x,y"}])
    run.set_config({"inputs": {"r": {"format": "csv", "location": str(run.outputs / "report.csv"), "schema": None}}})
    assert gio.load_input("r") == [{"a": "1", "b": "x,y"}]


def test_save_csv_from_a_dataframe(run):
    class FakeFrame:  # what save_output relies on: DataFrame.to_csv(handle, index=False)
        def to_csv(self, handle, index):
            assert index is False
            handle.write("a,b\n1,2\n")

    gio.save_output("report", FakeFrame())
    assert (run.outputs / "report.csv").read_text() == "a,b\n1,2\n"


def test_save_csv_rejects_other_data(run):
    with pytest.raises(GoldfishIOError, match=r"output 'report' is csv: pass a pandas DataFrame or a list of dicts \(got int\)"):
        gio.save_output("report", 42)
    assert visible_files(run.outputs) == []


def test_artifact_flag_is_recorded(run):
    gio.save_output("report", [{"a": 1}], artifact=True)
    assert manifest(run)["report"]["artifact"] is True
    with pytest.raises(GoldfishIOError, match="artifact must be True or False"):
        gio.save_output("report", [{"a": 1}], artifact="yes")


# ---- atomicity ----------------------------------------------------------------------------


class Exploding:
    """Writes half a file, then fails: the output must not appear half-written."""

    def to_csv(self, handle, index):
        handle.write("a,b\n1,")
        handle.flush()
        raise RuntimeError("disk on fire")


def test_failed_save_leaves_no_partial_file(run):
    with pytest.raises(RuntimeError, match="disk on fire"):
        gio.save_output("report", Exploding())
    assert list(run.outputs.iterdir()) == []  # not even the temp file


def test_failed_save_keeps_the_previous_output(run):
    gio.save_output("report", [{"a": 1}])
    before = (run.outputs / "report.csv").read_text()
    with pytest.raises(RuntimeError):
        gio.save_output("report", Exploding())
    assert (run.outputs / "report.csv").read_text() == before
    assert visible_files(run.outputs) == ["report.csv"]


def test_reader_never_sees_a_partial_npy(run):
    np = numpy()
    big = np.arange(2_000_000)
    gio.save_output("preds", big)
    seen_bad = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                arr = np.load(run.outputs / "preds.npy")
            except FileNotFoundError:
                continue
            if arr.shape != big.shape:
                seen_bad.append(arr.shape)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(5):
            gio.save_output("preds", big)
    finally:
        stop.set()
        t.join()
    assert seen_bad == []
    assert visible_files(run.outputs) == ["preds.npy"]


def test_temp_file_is_in_the_output_directory_and_hidden(run, monkeypatch):
    from goldfish.io import _atomic

    seen = []
    real = _atomic._create_temporary

    def spy(path):
        fd, name = real(path)
        seen.append(Path(name))
        return fd, name

    monkeypatch.setattr(_atomic, "_create_temporary", spy)
    gio.save_output("report", [{"a": 1}])
    tmp = next(p for p in seen if "report" in p.name)
    assert tmp.parent == run.outputs and tmp.name.startswith(".report.csv.")
    assert not tmp.exists()


# ---- paths --------------------------------------------------------------------------------


def test_get_output_path_per_type(run):
    assert gio.get_output_path("preds") == run.outputs / "preds.npy"
    assert gio.get_output_path("report") == run.outputs / "report.csv"
    model = gio.get_output_path("model")
    assert model == run.outputs / "model" and model.is_dir()
    summary = gio.get_output_path("summary")
    assert summary == run.outputs / "summary" and not summary.exists() and summary.parent.is_dir()


def test_output_without_type_is_a_directory(run):
    run.set_config({"outputs": {"o": {"schema": None}}})
    assert gio.get_output_path("o").is_dir()


def test_save_path_marks_a_written_directory(run):
    model = gio.get_output_path("model")
    (model / "weights.bin").write_bytes(b"\0" * 10)
    assert gio.save_output("model", model, artifact=True) == model
    assert manifest(run)["model"] == {"path": "model", "type": "directory", "format": "directory", "artifact": True}


def test_save_path_marks_a_written_file(run):
    summary = gio.get_output_path("summary")
    summary.write_text("ok")
    gio.save_output("summary", summary)
    assert manifest(run)["summary"] == {"path": "summary", "type": "file", "format": "file", "artifact": False}


def test_manifest_accumulates_and_rewrites(run):
    gio.save_output("report", [{"a": 1}])
    (gio.get_output_path("summary")).write_text("x")
    gio.save_output("summary", run.outputs / "summary")
    gio.save_output("report", [{"a": 2}], artifact=True)
    m = manifest(run)
    assert set(m) == {"report", "summary"} and m["report"]["artifact"] is True


def test_manifest_from_threads(run):
    names = [f"o{i}" for i in range(20)]
    run.set_config({"outputs": {n: {"format": "csv", "schema": None} for n in names}})
    threads = [threading.Thread(target=gio.save_output, args=(n, [{"v": i}])) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(manifest(run)) == set(names)


def test_save_path_that_does_not_exist(run):
    with pytest.raises(GoldfishIOError, match=r"save_output\('summary', '.*summary'\): nothing exists there; write the output first"):
        gio.save_output("summary", run.outputs / "summary")


def test_save_path_outside_outputs(run, tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")
    with pytest.raises(GoldfishIOError, match="the path must be inside the outputs dir"):
        gio.save_output("summary", outside)
    (run.runtime).mkdir()
    (run.runtime / "x").write_text("x")
    with pytest.raises(GoldfishIOError, match="not its .goldfish folder"):
        gio.save_output("summary", run.runtime / "x")
    with pytest.raises(GoldfishIOError, match="must be inside the outputs dir"):
        gio.save_output("model", run.outputs)


def test_save_path_symlink_escaping_outputs(run, tmp_path):
    target = tmp_path / "secret"
    target.write_text("x")
    os.symlink(target, run.outputs / "summary")
    with pytest.raises(GoldfishIOError, match="must be inside the outputs dir"):
        gio.save_output("summary", run.outputs / "summary")


def test_other_formats_need_get_output_path(run):
    with pytest.raises(GoldfishIOError) as e:
        gio.save_output("model", {"w": 1})
    assert "output 'model' has format 'directory', which save_output cannot write from data" in str(e.value)
    assert "write it at get_output_path('model'), then call save_output('model', that_path)" in str(e.value)


def test_undeclared_output(run):
    with pytest.raises(GoldfishIOError, match=r"output 'x' is not declared for stage 'train'; declared outputs: model, preds, report, summary"):
        gio.save_output("x", [])
    with pytest.raises(GoldfishIOError, match="output 'x' is not declared"):
        gio.get_output_path("x")


def test_write_error_is_a_goldfish_error(run, monkeypatch, tmp_path):
    # An outputs dir that cannot be created (a file is in the way) fails like a full disk would.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("GOLDFISH_OUTPUTS_DIR", str(blocker / "outputs"))
    with pytest.raises(GoldfishIOError, match="cannot write output 'report' to .*blocker/outputs/report.csv"):
        gio.save_output("report", [{"a": 1}])
