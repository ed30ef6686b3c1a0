"""Reading the signals the host staged for this stage (read-only, under the inputs dir)."""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from typing import Any

from ._context import Context, GoldfishIOError, current, signal_format

PATH_FORMATS = ("directory", "file", "dataset")


def get_input_path(name: str) -> Path:
    """Where input `name` is on disk: `<inputs_dir>/<name>` (a file or a directory)."""
    ctx = current()
    return _locate(ctx, name, ctx.input_spec(name), suffix=None)


def load_input(name: str, format: str | None = None) -> Any:
    """Load a declared input by its format.

    npy -> numpy array; csv -> pandas DataFrame, or a list of dicts (all values str)
    when pandas is not installed; directory | file | dataset -> pathlib.Path.
    """
    ctx = current()
    spec = ctx.input_spec(name)
    fmt = signal_format(spec, format)
    if fmt == "npy":
        return _load_npy(_find_file(_locate(ctx, name, spec, ".npy"), name, ".npy"))
    if fmt == "csv":
        return _load_csv(_find_file(_locate(ctx, name, spec, ".csv"), name, ".csv"))
    if fmt in PATH_FORMATS:
        return _locate(ctx, name, spec, suffix=None)
    raise GoldfishIOError(
        f"input {name!r} has format {fmt!r}, which load_input cannot read; supported: "
        f"npy, csv, {', '.join(PATH_FORMATS)}. Use get_input_path({name!r}) and read it yourself."
    )


def _locate(ctx: Context, name: str, spec: dict[str, Any], suffix: str | None) -> Path:
    staged = ctx.inputs_dir / name
    candidates = [staged]
    if suffix:
        candidates.append(ctx.inputs_dir / f"{name}{suffix}")
    # Upstream also accepts a local `location` that was not staged (handy when a stage
    # is run by hand); a remote one cannot be read from here.
    location = spec.get("location")
    local = _local_path(location)
    if local is not None:
        candidates.append(local)
    for path in candidates:
        if path.exists():
            return path
    if location and local is None:
        raise GoldfishIOError(
            f"input {name!r} was not staged at {staged} and its location {location!r} is "
            "remote; the host must stage it before the stage starts."
        )
    looked = ", ".join(str(p) for p in candidates)
    raise GoldfishIOError(f"input {name!r} is missing: nothing at {looked}")


def _local_path(location: Any) -> Path | None:
    if not isinstance(location, str) or not location:
        return None
    if location.startswith("file://"):
        return Path(location[len("file://") :])
    if "://" in location:
        return None
    return Path(location)


def _find_file(path: Path, name: str, suffix: str) -> Path:
    """The exact file, else `<dir>/<name><suffix>`, else the first `*<suffix>` in the dir."""
    if path.is_file():
        return path
    preferred = path / f"{name}{suffix}"
    if preferred.is_file():
        return preferred
    matches = sorted(p for p in path.glob(f"*{suffix}") if p.is_file())
    if matches:
        return matches[0]
    raise GoldfishIOError(
        f"input {name!r}: no {suffix} file in directory {path} "
        f"(looked for {name}{suffix}, then any *{suffix})"
    )


def _load_npy(path: Path) -> Any:
    np = _numpy()
    try:
        # allow_pickle=False: an input is data from elsewhere; unpickling it could run code.
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise GoldfishIOError(f"cannot read {path} as npy: {e}") from None


def _load_csv(path: Path) -> Any:
    pd = optional_module("pandas")
    if pd is not None:
        return pd.read_csv(path)
    # Without pandas: the csv module, one dict per row keyed by the header, values as str.
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _numpy() -> Any:
    np = optional_module("numpy")
    if np is None:
        raise GoldfishIOError(
            "numpy is needed for npy signals but is not installed; add numpy to the "
            "workspace's requirements.txt"
        )
    return np


def optional_module(name: str) -> Any:
    """Import `name` if installed, else None; heavy libraries stay unimported until needed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
