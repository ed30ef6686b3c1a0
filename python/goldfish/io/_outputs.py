"""Writing declared outputs under the outputs dir and telling the host about them.

Every save is recorded in `<outputs_dir>/.goldfish/outputs.json` as
`{name: {"path": <relative to outputs_dir>, "type", "format", "artifact": bool}}`,
so the host knows which declared outputs were written and where.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import IO, Any

from ._atomic import write_text_atomic, write_atomic
from ._context import RUNTIME_DIRNAME, Context, GoldfishIOError, current, runtime_dir, signal_format
from ._contracts import after_save
from ._inputs import _numpy

MANIFEST = "outputs.json"
OUTPUT_DEFAULT_FORMAT = "directory"  # what pipelines assume for an output without a type

# One writer of outputs.json at a time in this process (read-modify-write).
_manifest_lock = threading.Lock()


def get_output_path(name: str) -> Path:
    """Where to write output `name` yourself.

    npy -> `<outputs>/<name>.npy`, csv -> `<outputs>/<name>.csv` (where save_output
    would put them), directory -> `<outputs>/<name>/` (created), anything else ->
    the file `<outputs>/<name>` (its parent created).
    """
    ctx = current()
    spec = ctx.output_spec(name)
    fmt = signal_format(spec, default=OUTPUT_DEFAULT_FORMAT)
    path = _default_path(ctx, name, fmt)
    target = path if fmt == "directory" else path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GoldfishIOError(f"cannot create {target} for output {name!r}: {e}") from None
    return path


def save_output(name: str, data: Any, artifact: bool = False) -> Path:
    """Save a declared output and record it in outputs.json; returns where it is.

    A pathlib.Path marks an output already written under the outputs dir (via
    get_output_path). Otherwise npy data goes through np.save and csv data (a
    DataFrame or a list of dicts) through pandas or the csv module; each file is
    written to a temp file and renamed, so no partial output is ever visible.
    """
    ctx = current()
    spec = ctx.output_spec(name)
    fmt = signal_format(spec, default=OUTPUT_DEFAULT_FORMAT)
    if not isinstance(artifact, bool):
        raise GoldfishIOError(f"save_output({name!r}): artifact must be True or False")
    if isinstance(data, PurePath):
        path = _already_written(ctx, name, Path(data))
    elif fmt == "npy":
        path = _default_path(ctx, name, fmt)
        _save(name, path, lambda f: _write_npy(name, f, data))
    elif fmt == "csv":
        path = _default_path(ctx, name, fmt)
        _save(name, path, lambda f: _write_csv(name, f, data))
    else:
        raise GoldfishIOError(
            f"output {name!r} has format {fmt!r}, which save_output cannot write from data; "
            f"write it at get_output_path({name!r}), then call save_output({name!r}, that_path)"
        )
    _record(ctx, name, path, spec, fmt, artifact)
    after_save(ctx, name, path, spec, fmt)  # its contract and statistics (svs_findings/svs_stats.json)
    return path


def _default_path(ctx: Context, name: str, fmt: str) -> Path:
    if fmt in ("npy", "csv"):
        return ctx.outputs_dir / f"{name}.{fmt}"
    return ctx.outputs_dir / name


def _already_written(ctx: Context, name: str, path: Path) -> Path:
    if not path.exists():
        raise GoldfishIOError(
            f"save_output({name!r}, {str(path)!r}): nothing exists there; write the output "
            "first (get_output_path gives the place)"
        )
    resolved, root = path.resolve(), ctx.outputs_dir.resolve()
    # The host only collects what is under the outputs dir, and .goldfish is its own.
    if resolved == root or not resolved.is_relative_to(root) or resolved.is_relative_to(
        root / RUNTIME_DIRNAME
    ):
        raise GoldfishIOError(
            f"save_output({name!r}, {str(path)!r}): the path must be inside the outputs dir "
            f"{ctx.outputs_dir} (and not its .goldfish folder); use get_output_path({name!r})"
        )
    return resolved


def _save(name: str, path: Path, write: Any) -> None:
    try:
        write_atomic(path, write)
    except GoldfishIOError:
        raise
    except OSError as e:
        raise GoldfishIOError(f"cannot write output {name!r} to {path}: {e}") from None


def _write_npy(name: str, f: IO[bytes], data: Any) -> None:
    np = _numpy()
    try:
        # No pickles: the reading side loads with allow_pickle=False too.
        np.save(f, data, allow_pickle=False)
    except ValueError as e:
        raise GoldfishIOError(f"cannot save output {name!r} as npy: {e}") from None


def _write_csv(name: str, f: IO[bytes], data: Any) -> None:
    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    try:
        if hasattr(data, "to_csv"):  # a pandas DataFrame (or anything shaped like one)
            data.to_csv(text, index=False)
        elif isinstance(data, (list, tuple)) and all(isinstance(r, Mapping) for r in data):
            # Columns in order of first appearance, so rows with extra keys lose nothing.
            columns = list(dict.fromkeys(k for row in data for k in row))
            # "\n" line ends, as pandas writes them, so both paths give the same file.
            writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(data)
        else:
            raise GoldfishIOError(
                f"output {name!r} is csv: pass a pandas DataFrame or a list of dicts "
                f"(got {type(data).__name__})"
            )
        text.flush()
    finally:
        text.detach()  # leave closing the binary file to write_atomic


def _record(ctx: Context, name: str, path: Path, spec: dict[str, Any], fmt: str, artifact: bool) -> None:
    entry = {
        "path": path.resolve().relative_to(ctx.outputs_dir.resolve()).as_posix(),
        "type": spec.get("type") or fmt,
        "format": fmt,
        "artifact": artifact,
    }
    manifest_path = runtime_dir() / MANIFEST
    with _manifest_lock:
        manifest = read_manifest(manifest_path)
        manifest[name] = entry
        try:
            write_text_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        except OSError as e:
            raise GoldfishIOError(f"cannot record output {name!r} in {manifest_path}: {e}") from None


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return manifest if isinstance(manifest, dict) else {}
