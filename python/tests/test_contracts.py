"""Output contracts and statistics taken by save_output (goldfish.io._contracts/_stats)."""

import copy
import json

import pytest

import goldfish.io as gio
from goldfish.io import _contracts, _stats
from conftest import DEFAULT_CONFIG


def with_schema(run, output, schema, **config):
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["outputs"][output]["schema"] = schema
    cfg.update(config)
    run.set_config(cfg)


def findings(run):
    return json.loads((run.runtime / "svs_findings.json").read_text())["findings"]


def stats(run):
    return json.loads((run.runtime / "svs_stats.json").read_text())["stats"]


def test_shape_and_dtype_mismatch_is_recorded_not_raised(run):
    np = pytest.importorskip("numpy")
    with_schema(run, "preds", {"kind": "tensor", "shape": [3], "dtype": "float32"})
    gio.save_output("preds", np.arange(5, dtype=np.int64))  # the stage is not failed here: the host decides
    checks = {f["check"]: f for f in findings(run)}
    assert checks["shape"]["message"] == "output preds has shape [5], the contract declares [3]"
    assert checks["dtype"]["details"] == {"actual": "int64", "declared": "float32"}
    assert {f["subject"] for f in findings(run)} == {"preds"}


def test_param_and_wildcards_resolve_from_the_stage_config(run):
    np = pytest.importorskip("numpy")
    with_schema(run, "preds", {"shape": [None, "{model.dim}", -1], "dtype": "float"}, model={"dim": 4})
    gio.save_output("preds", np.zeros((7, 4, 2), dtype=np.float32))
    assert findings(run) == []
    with_schema(run, "preds", {"shape": [None, "{model.dim}"]}, model={})
    gio.save_output("preds", np.zeros((7, 4), dtype=np.float32))
    assert findings(run)[0]["message"] == "preds: schema names {model.dim} but the stage config has no model.dim"


def test_value_range_and_null_ratio_from_the_sample(run):
    np = pytest.importorskip("numpy")
    with_schema(run, "preds", {"range": {"min": 0, "max": 1}, "max_null_ratio": 0.1})
    data = np.linspace(-1, 2, 20).astype(np.float64)
    data[:5] = np.nan
    gio.save_output("preds", data)
    by_check = sorted(f["check"] for f in findings(run))
    assert by_check == ["null_ratio", "range", "range"]
    s = stats(run)["preds"]
    assert s["null_ratio"] == 0.25 and s["total"] == 20 and s["sampled"] is False
    assert s["max"] == 2.0 and s["unique_count"] == 15


def test_resave_replaces_the_outputs_findings(run):
    np = pytest.importorskip("numpy")
    with_schema(run, "preds", {"shape": [3]})
    gio.save_output("preds", np.zeros(5))
    gio.save_output("preds", np.zeros(3))
    assert findings(run) == []


def test_array_stats_sample_is_bounded_and_reads_through_mmap(tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "big.npy"
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(50_000,))
    array[:] = np.arange(50_000, dtype=np.float32) % 10
    array.flush()
    del array
    s = _stats.array_stats(path)
    assert s["samples_used"] == _stats.SAMPLE_SIZE and s["total"] == 50_000 and s["sampled"] is True
    assert s["unique_count"] == 10
    assert 3.2 < s["entropy"] <= 3.33  # ten equally likely values: log2(10) ≈ 3.32 bits
    assert s["min"] == 0.0 and s["max"] == 9.0


def test_csv_stats_per_column_with_reservoir(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["a,label"] + [f"{i},{'cat' if i % 2 else 'dog'}" for i in range(25_000)] + [",cat"]
    path.write_text("\n".join(rows) + "\n")
    s = _stats.csv_stats(path)
    assert s["rows"] == 25_001 and s["samples_used"] == _stats.SAMPLE_SIZE
    assert s["columns"]["label"]["type"] == "category" and s["columns"]["label"]["unique_count"] == 2
    assert abs(s["columns"]["label"]["entropy"] - 1.0) < 0.01
    assert s["columns"]["a"]["type"] == "number" and s["columns"]["a"]["min"] >= 0


def test_stats_without_numpy_say_so(run, monkeypatch, tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "x.npy"
    np.save(path, np.zeros(3))
    monkeypatch.setattr(_stats, "optional_module", lambda name: None)
    s = _stats.array_stats(path)
    assert s == {"kind": "tensor", "note": "numpy is not installed in the stage's environment: no statistics"}
    found = _contracts.check("preds", path, {"range": [0, 1]}, {}, s)
    assert found[0]["check"] == "not_checked" and "numpy is not installed" in found[0]["message"]


def test_parquet_without_pyarrow_is_a_clear_warning_never_a_silent_pass(run, monkeypatch, tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setattr(_contracts, "optional_module", lambda name: None)
    found = _contracts.check("table", path, {"kind": "tabular", "columns": ["a"]}, {}, None)
    assert [f["check"] for f in found] == ["not_checked"]
    assert found[0]["severity"] == "warning" and "pyarrow is not installed" in found[0]["message"]


def test_npz_arrays_are_checked(run, tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros((2, 3), dtype=np.float32))
    schema = {"arrays": {"x": {"shape": [2, 4], "dtype": "float32"}, "y": {"shape": [1]}}}
    messages = sorted(f["message"] for f in _contracts.check("bundle", path, schema, {}, None))
    assert messages == ["npz output bundle has no array y", "output bundle[x] has shape [2, 3], the contract declares [2, 4]"]


def test_csv_output_statistics_recorded(run):
    with_schema(run, "report", {"kind": "tabular", "columns": ["x", "y"], "range": [0, 10]})
    gio.save_output("report", [{"x": 1, "y": 20}, {"x": 2, "y": 5}])
    assert stats(run)["report"]["columns"]["y"]["max"] == 20
    assert [f["message"] for f in findings(run)] == ["report.y has values up to 20.0, above the declared max 10"]


def test_a_broken_checker_never_costs_the_output(run, monkeypatch, capsys):
    np = pytest.importorskip("numpy")
    with_schema(run, "preds", {"shape": [3]})

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(_contracts, "stats_of", broken)
    path = gio.save_output("preds", np.zeros(3))
    assert path.exists()
    assert "could not be checked against its contract: boom" in capsys.readouterr().err
