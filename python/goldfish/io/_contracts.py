"""Output contracts checked in the stage, where the data is (see docs/svs.md).

After save_output writes an output, its declared `schema:` is checked against it and its
statistics are taken: shape and dtype (npy, and each array of an npz), columns and column
types (csv; parquet with pyarrow, else a note saying it was not checked), value `range` and
`max_null_ratio` from the sampled statistics. Findings go to `.goldfish/svs_findings.json`
and statistics to `.goldfish/svs_stats.json` (`{version: 1, stats: {output: {...}}}`); the
host reads both after the stage, checks the structure again itself, and applies the output's
enforcement (only the host fails a run: the stage never raises for a broken contract).
"""

from __future__ import annotations

import json
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

from ._atomic import write_text_atomic
from ._context import Context, runtime_dir
from ._inputs import optional_module
from ._stats import stats_of

STATS_FILE = "svs_stats.json"
FINDINGS_FILE = "svs_findings.json"
_lock = threading.Lock()

_FAMILIES = {
    "float": lambda a: a.startswith("float"),
    "int": lambda a: a.startswith("int") or a.startswith("uint"),
    "uint": lambda a: a.startswith("uint"),
    "number": lambda a: a.startswith(("float", "int", "uint")),
    "bool": lambda a: a == "bool",
    "str": lambda a: a in ("str", "object") or a.startswith("<U") or a.startswith("U"),
}
_ALIASES = {"double": "float64", "half": "float16", "long": "int64", "boolean": "bool", "string": "str"}


class _Unresolved(Exception):
    pass


def after_save(ctx: Context, name: str, path: Path, spec: dict[str, Any], fmt: str) -> None:
    """Check output `name` and record its statistics; never fails the save."""
    try:
        stats = stats_of(path, fmt)
        findings = check(name, path, spec.get("schema"), ctx.config, stats)
        _record(name, stats, findings)
    except Exception as e:  # a check must never cost the stage its output
        print(f"goldfish: output {name!r} could not be checked against its contract: {e}", file=sys.stderr)


def check(
    name: str, path: Path, schema: Any, config: dict[str, Any], stats: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The findings for output `name` at `path` against `schema` (None: no contract)."""
    if not isinstance(schema, dict):
        return []
    findings: list[dict[str, Any]] = []
    try:
        schema = resolve(schema, config)
    except _Unresolved as e:
        return [_finding("schema", "warning", f"{name}: {e}", name)]
    suffix = path.suffix.lower()
    if path.is_file() and suffix == ".npy" and ("shape" in schema or "dtype" in schema or "rank" in schema):
        header = _npy_header(path)
        if header is not None:
            findings += _tensor(name, schema, *header)
    elif path.is_file() and suffix == ".npz":
        findings += _npz(name, path, schema)
    elif path.is_file() and suffix == ".parquet" and ("columns" in schema or "dtypes" in schema):
        findings += _parquet(name, path, schema)
    findings += _values(name, schema, stats)
    return findings


def resolve(schema: Any, config: dict[str, Any]) -> Any:
    """Replace every "{param}" string by that (dotted) key of the stage config."""
    if isinstance(schema, dict):
        return {k: resolve(v, config) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve(v, config) for v in schema]
    if isinstance(schema, str) and len(schema) > 2 and schema.startswith("{") and schema.endswith("}"):
        key = schema[1:-1]
        value: Any = config
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            raise _Unresolved(f"schema names {{{key}}} but the stage config has no {key}")
        return value
    return schema


def dtype_satisfies(actual: str, declared: str) -> bool:
    wanted = _ALIASES.get(declared.lower(), declared.lower())
    if actual == wanted:
        return True
    family = _FAMILIES.get(wanted)
    return bool(family and family(actual))


def shape_matches(declared: list[Any], actual: tuple[int, ...]) -> bool:
    if len(declared) != len(actual):
        return False
    return all(d is None or (isinstance(d, int) and d < 0) or d == a for d, a in zip(declared, actual))


def _tensor(name: str, schema: dict[str, Any], shape: tuple[int, ...], dtype: str, subject: str | None = None) -> list:
    label = subject or name
    found = []
    declared_shape = schema.get("shape")
    if isinstance(declared_shape, list) and not shape_matches(declared_shape, shape):
        found.append(
            _finding(
                "shape", "error", f"output {label} has shape {list(shape)}, the contract declares {declared_shape}", name,
                {"actual": list(shape), "declared": declared_shape},
            )
        )
    elif isinstance(schema.get("rank"), int) and schema["rank"] != len(shape):
        found.append(
            _finding("shape", "error", f"output {label} has rank {len(shape)}, the contract declares {schema['rank']}", name)
        )
    declared_dtype = schema.get("dtype")
    if isinstance(declared_dtype, str) and not dtype_satisfies(dtype, declared_dtype):
        found.append(
            _finding(
                "dtype", "error", f"output {label} has dtype {dtype}, the contract declares {declared_dtype}", name,
                {"actual": dtype, "declared": declared_dtype},
            )
        )
    return found


def _npy_header(path: Path) -> tuple[tuple[int, ...], str] | None:
    np = optional_module("numpy")
    if np is None:
        return None
    with open(path, "rb") as f:
        shape, dtype = _read_header(np, f)
    return shape, dtype


def _read_header(np: Any, f: Any) -> tuple[tuple[int, ...], str]:
    """Shape and dtype from an npy header; the data is never read."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read(f)
    return tuple(shape), str(dtype)


def _npz(name: str, path: Path, schema: dict[str, Any]) -> list:
    np = optional_module("numpy")
    arrays = schema.get("arrays")
    if np is None:
        return [_finding("not_checked", "note", f"npz {name} not checked: numpy is not installed", name)]
    found = []
    with zipfile.ZipFile(path) as archive:
        members = {m[:-4] if m.endswith(".npy") else m: m for m in archive.namelist()}
        if isinstance(arrays, dict):
            for array_name, array_schema in arrays.items():
                if array_name not in members:
                    found.append(_finding("arrays", "error", f"npz output {name} has no array {array_name}", name))
                    continue
                with archive.open(members[array_name]) as f:
                    shape, dtype = _read_header(np, f)
                if isinstance(array_schema, dict):
                    found += _tensor(name, array_schema, shape, dtype, f"{name}[{array_name}]")
    return found


def _parquet(name: str, path: Path, schema: dict[str, Any]) -> list:
    pq = optional_module("pyarrow.parquet")
    if pq is None:
        return [
            _finding(
                "not_checked", "warning",
                f"parquet output {name} was NOT checked against its columns/dtypes: pyarrow is not installed "
                "in the stage's environment (add pyarrow to it to check parquet outputs)", name,
            )
        ]
    arrow = pq.read_schema(path)
    columns = list(arrow.names)
    found = []
    declared = schema.get("columns")
    if isinstance(declared, list) and declared != columns:
        found.append(
            _finding("columns", "error", f"output {name} has columns {columns}, the contract declares {declared}", name)
        )
    for column, wanted in (schema.get("dtypes") or {}).items():
        if column not in columns:
            found.append(_finding("columns", "error", f"output {name} has no column {column}", name))
            continue
        actual = _arrow_dtype(str(arrow.field(column).type))
        if not dtype_satisfies(actual, str(wanted)):
            found.append(
                _finding(
                    "column_type", "error",
                    f"column {column} of output {name} is {actual}, the contract declares {wanted}", name,
                )
            )
    return found


def _arrow_dtype(arrow_type: str) -> str:
    names = {"double": "float64", "float": "float32", "halffloat": "float16", "string": "str", "large_string": "str"}
    return names.get(arrow_type, arrow_type)


def _values(name: str, schema: dict[str, Any], stats: dict[str, Any] | None) -> list:
    bounds = schema.get("range")
    max_null = schema.get("max_null_ratio")
    if bounds is None and max_null is None:
        return []
    if not stats or "note" in stats:
        why = (stats or {}).get("note", "no statistics could be taken for this format")
        return [_finding("not_checked", "note", f"values of {name} not checked: {why}", name)]
    low, high = (bounds[0], bounds[1]) if isinstance(bounds, list) and len(bounds) == 2 else (
        (bounds or {}).get("min"), (bounds or {}).get("max"))
    found = []
    targets = [(name, stats)] if stats.get("kind") == "tensor" else [
        (f"{name}.{c}", s) for c, s in (stats.get("columns") or {}).items() if s.get("type") == "number"
    ]
    for label, s in targets:
        if low is not None and s.get("min") is not None and s["min"] < low:
            found.append(_finding("range", "error", f"{label} has values down to {s['min']}, below the declared min {low}", name,
                                  {"min": s["min"], "declared_min": low, "sampled": stats.get("sampled", False)}))
        if high is not None and s.get("max") is not None and s["max"] > high:
            found.append(_finding("range", "error", f"{label} has values up to {s['max']}, above the declared max {high}", name,
                                  {"max": s["max"], "declared_max": high, "sampled": stats.get("sampled", False)}))
        if max_null is not None and s.get("null_ratio", 0) > max_null:
            found.append(_finding("null_ratio", "error",
                                  f"{label} is {s['null_ratio']:.1%} null/NaN, above the declared max_null_ratio {max_null}", name))
    return found


def _finding(check: str, severity: str, message: str, subject: str, details: Any = None) -> dict[str, Any]:
    entry = {"check": check, "severity": severity, "message": message, "subject": subject}
    if details is not None:
        entry["details"] = details
    return entry


def _record(name: str, stats: dict[str, Any] | None, findings: list[dict[str, Any]]) -> None:
    folder = runtime_dir()
    with _lock:
        document = _read(folder / STATS_FILE)
        table = document.setdefault("stats", {})
        if stats is None:
            table.pop(name, None)
        else:
            table[name] = stats
        write_text_atomic(folder / STATS_FILE, json.dumps(document, indent=2, sort_keys=True) + "\n")
        document = _read(folder / FINDINGS_FILE)
        kept = [f for f in document.get("findings", []) if f.get("subject") != name]  # a re-save replaces them
        document["findings"] = kept + findings
        write_text_atomic(folder / FINDINGS_FILE, json.dumps(document, indent=2, sort_keys=True) + "\n")


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        document = {}
    if not isinstance(document, dict):
        document = {}
    document["version"] = 1
    return document
