import sys
import types
from pathlib import Path

import pytest

import goldfish.io as gio
from goldfish.io import GoldfishIOError

def numpy():
    # npy tests skip only when numpy is not installed.
    return pytest.importorskip("numpy")


# ---- npy ------------------------------------------------------------------------------


def test_npy_staged_as_name_dot_npy(run):
    np = numpy()
    np.save(run.inputs / "features.npy", np.arange(6).reshape(2, 3))
    arr = gio.load_input("features")
    assert arr.shape == (2, 3) and arr.sum() == 15


def test_npy_staged_as_exact_file(run):
    np = numpy()
    with open(run.inputs / "features", "wb") as f:
        np.save(f, np.ones(4))
    assert gio.load_input("features").tolist() == [1, 1, 1, 1]


def test_npy_in_a_directory_prefers_name_dot_npy(run):
    np = numpy()
    d = run.inputs / "features"
    d.mkdir()
    np.save(d / "aaa.npy", np.zeros(1))
    np.save(d / "features.npy", np.full(2, 7))
    assert gio.load_input("features").tolist() == [7, 7]


def test_npy_in_a_directory_falls_back_to_first_npy(run):
    np = numpy()
    d = run.inputs / "features"
    d.mkdir()
    np.save(d / "b.npy", np.full(1, 2))
    np.save(d / "a.npy", np.full(1, 1))
    (d / "notes.txt").write_text("x")
    assert gio.load_input("features").tolist() == [1]


def test_npy_directory_without_npy_files(run):
    numpy()
    d = run.inputs / "features"
    d.mkdir()
    (d / "notes.txt").write_text("x")
    with pytest.raises(GoldfishIOError, match=r"input 'features': no \.npy file in directory .*features"):
        gio.load_input("features")


def test_npy_refuses_pickled_objects(run):
    np = numpy()
    np.save(run.inputs / "features.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GoldfishIOError, match="cannot read .*features.npy as npy"):
        gio.load_input("features")


def test_npy_without_numpy_says_to_install_it(run, monkeypatch):
    from goldfish.io import _inputs

    (run.inputs / "features.npy").write_bytes(b"x")
    monkeypatch.setattr(_inputs, "optional_module", lambda name: None)
    with pytest.raises(GoldfishIOError, match="numpy is needed for npy signals.*requirements.txt"):
        gio.load_input("features")


def test_format_override(run):
    np = numpy()
    np.save(run.inputs / "single.npy", np.arange(3))
    assert gio.load_input("single", format="npy").tolist() == [0, 1, 2]
    with open(run.inputs / "single", "wb") as f:
        np.save(f, np.arange(1))
    assert gio.load_input("single") == run.inputs / "single"  # declared type file: a Path


def test_type_is_the_format_when_format_is_missing(run):
    np = numpy()
    run.set_config({"inputs": {"x": {"type": "npy", "schema": None}}})
    np.save(run.inputs / "x.npy", np.arange(2))
    assert gio.load_input("x").tolist() == [0, 1]


# ---- csv ------------------------------------------------------------------------------


def test_csv_without_pandas_is_a_list_of_dicts(run, monkeypatch):
    from goldfish.io import _inputs

    monkeypatch.setattr(_inputs, "optional_module", lambda name: None if name == "pandas" else __import__(name))
    (run.inputs / "table.csv").write_text("\ufeffa,b\n1,x\n2,y\n", encoding="utf-8")
    assert gio.load_input("table") == [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]


def test_csv_in_a_directory(run, monkeypatch):
    from goldfish.io import _inputs

    monkeypatch.setattr(_inputs, "optional_module", lambda name: None)
    d = run.inputs / "table"
    d.mkdir()
    (d / "part.csv").write_text("a\n1\n")
    assert gio.load_input("table") == [{"a": "1"}]


def test_csv_uses_pandas_when_installed(run, monkeypatch):
    fake = types.ModuleType("pandas")
    fake.read_csv = lambda path: ("DataFrame", Path(path).name)
    monkeypatch.setitem(sys.modules, "pandas", fake)
    (run.inputs / "table").write_text("a\n1\n")
    assert gio.load_input("table") == ("DataFrame", "table")


# ---- paths ----------------------------------------------------------------------------


def test_directory_file_and_dataset_load_as_paths(run):
    (run.inputs / "raw").mkdir()
    (run.inputs / "single").write_text("hi")
    (run.inputs / "ds").mkdir()
    assert gio.load_input("raw") == run.inputs / "raw"
    assert gio.load_input("single") == run.inputs / "single"
    assert gio.load_input("ds") == run.inputs / "ds"
    assert isinstance(gio.load_input("ds"), Path)


def test_get_input_path(run):
    (run.inputs / "raw").mkdir()
    assert gio.get_input_path("raw") == run.inputs / "raw"


def test_local_location_is_used_when_not_staged(run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run.set_config({"inputs": {"d": {"type": "directory", "location": f"file://{elsewhere}", "schema": None}}})
    assert gio.load_input("d") == elsewhere
    run.set_config({"inputs": {"d": {"type": "directory", "location": str(elsewhere), "schema": None}}})
    assert gio.get_input_path("d") == elsewhere


def test_remote_location_not_staged(run):
    with pytest.raises(GoldfishIOError, match=r"input 'raw' was not staged at .*raw and its location 'gs://bucket/raw' is remote"):
        gio.load_input("raw")


def test_missing_input_names_the_path(run):
    with pytest.raises(GoldfishIOError, match=rf"input 'single' is missing: nothing at {run.inputs}/single"):
        gio.get_input_path("single")
    with pytest.raises(GoldfishIOError, match=r"input 'features' is missing: nothing at .*features, .*features.npy"):
        gio.load_input("features")


def test_undeclared_input_lists_the_declared_ones(run):
    with pytest.raises(GoldfishIOError) as e:
        gio.load_input("nope")
    msg = str(e.value)
    assert "input 'nope' is not declared for stage 'train'" in msg
    assert "declared inputs: ds, features, raw, single, table" in msg
    assert "pipeline.yaml" in msg
    with pytest.raises(GoldfishIOError, match="input 'nope' is not declared"):
        gio.get_input_path("nope")


def test_undeclared_when_no_inputs(run):
    run.set_config({"stage": "s"})
    with pytest.raises(GoldfishIOError, match="declared inputs: none"):
        gio.load_input("x")


def test_unknown_format(run):
    run.set_config({"inputs": {"x": {"format": "parquet", "schema": None}}})
    (run.inputs / "x").write_text("")
    with pytest.raises(GoldfishIOError, match=r"format 'parquet', which load_input cannot read.*get_input_path\('x'\)"):
        gio.load_input("x")
