"""Checkpoints under `<outputs_dir>/.goldfish/checkpoints/`.

Layout: `<name>` or `<name>/step_<n>`, plus `.npy` for numpy arrays, `.pkl` for other
objects, no suffix for a copied file or directory. The stage writes them locally; the
host keeps them with the run's outputs, so `local_ok` (upstream: "no bucket is fine")
is accepted and has nothing to refuse.

Another run's checkpoints (`load_checkpoint(name, run_id=...)`, `list_checkpoints(run_id)`)
are read where the host staged them: a run named in the stage config's `checkpoints_from:`
arrives read-only as the input folder `checkpoints.<run id>`, on every backend (bound into a
container, uploaded for a VM). Without that, the process backend still reads the other run's
folder in place, next to this run's own (`<runs>/<run id>/outputs/.goldfish/checkpoints/`);
elsewhere GoldfishIOError says to add the run to `checkpoints_from`.
"""

from __future__ import annotations

import numbers
import os
import re
import shutil
import sys
from pathlib import Path, PurePath
from typing import Any

from ._context import GoldfishIOError, current, runtime_dir

CHECKPOINTS_DIR = "checkpoints"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
STEP_RE = re.compile(r"^step_(\d+)(\.npy|\.pkl)?$")
SUFFIXES = ("", ".npy", ".pkl")


def save_checkpoint(name: str, data: Any, step: int | None = None, local_ok: bool = True) -> Path:
    """Save a checkpoint (a Path to copy, a numpy array, or any picklable object).

    Saving the same name (and step) again replaces it. A name is saved always with
    steps or always without, so load_checkpoint(name) is never ambiguous.
    """
    root = runtime_dir() / CHECKPOINTS_DIR
    _check_name(name)
    step = _check_step(step)
    container = root / name
    if step is None:
        if _steps(container):
            raise GoldfishIOError(f"checkpoint {name!r} was saved with steps; pass step= every time")
        base = container
    else:
        if _unstepped(root, name) is not None:
            raise GoldfishIOError(f"checkpoint {name!r} was saved without a step; save it without one")
        base = container / f"step_{step}"
    base.parent.mkdir(parents=True, exist_ok=True)

    if isinstance(data, PurePath):
        source = Path(data)
        if not source.exists():
            raise GoldfishIOError(f"save_checkpoint({name!r}): {source} does not exist")
        dest = base
        write = lambda tmp: (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp)  # noqa: E731
    elif _is_ndarray(data):
        dest = base.with_name(base.name + ".npy")
        write = lambda tmp: _save_npy(tmp, data)  # noqa: E731
    else:
        dest = base.with_name(base.name + ".pkl")
        write = lambda tmp: _save_pickle(name, tmp, data)  # noqa: E731

    tmp = dest.with_name(f".{dest.name}.{os.urandom(16).hex()}.tmp")
    try:
        write(tmp)
        _install(tmp, dest)
    except OSError as e:
        raise GoldfishIOError(f"cannot save checkpoint {name!r} to {dest}: {e}") from None
    finally:
        _remove(tmp)
    # Drop the same checkpoint saved earlier in another form, so loading finds this one.
    for suffix in SUFFIXES:
        other = base.with_name(base.name + suffix)
        if other != dest:
            _remove(other)
    return dest


checkpoint = save_checkpoint  # the name issue 4 uses


def load_checkpoint(name: str, step: int | None = None, run_id: str | None = None) -> Path | None:
    """Path of a checkpoint (the latest step when `step` is None), or None if there is none.

    `run_id` reads another run's checkpoint (to resume from it); treat what it returns as
    read-only: it belongs to that run.
    """
    _check_name(name)
    step = _check_step(step)
    root = _checkpoints_of(run_id)
    if step is None:
        found = _unstepped(root, name)
        if found is not None:
            return found
        steps = _steps(root / name)
        if not steps:
            return None
        step = steps[-1]
    base = root / name / f"step_{step}"
    for suffix in SUFFIXES:
        path = base.with_name(base.name + suffix)
        if path.exists():
            return path
    return None


def list_checkpoints(run_id: str | None = None) -> dict[str, dict[str, Any]]:
    """`{name: {"steps": [...], "location": path}}` for this run (or `run_id`); steps [] when unstepped."""
    root = _checkpoints_of(run_id)
    found: dict[str, dict[str, Any]] = {}
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue  # a save in progress
        steps = _steps(entry)
        if steps:
            found[entry.name] = {"steps": steps, "location": str(entry)}
            continue
        name = entry.name
        if entry.is_file() and entry.suffix in (".npy", ".pkl"):
            name = entry.name[: -len(entry.suffix)]
        found[name] = {"steps": [], "location": str(entry)}
    return found


STAGED_PREFIX = "checkpoints."  # the host's input name for another run's checkpoints
CONFIG_KEY = "checkpoints_from"
RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$")


def _checkpoints_of(run_id: str | None) -> Path:
    """The checkpoints folder of this run, or of run `run_id` of the same project."""
    ctx = current()
    if run_id is None or run_id == ctx.run_id:
        return ctx.runtime_dir / CHECKPOINTS_DIR
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise GoldfishIOError(f"invalid run id {run_id!r}: a stage run id such as 'stage-0123456789ab'")
    # Staged by the host for runs named in the stage config's checkpoints_from (every backend).
    staged = ctx.inputs_dir / f"{STAGED_PREFIX}{run_id}"
    if staged.is_dir():
        return staged
    outputs = ctx.outputs_dir
    if not (ctx.run_id and outputs.name == "outputs" and outputs.parent.name == ctx.run_id):
        raise GoldfishIOError(
            f"checkpoints of run {run_id} were not staged for this run: add `{CONFIG_KEY}: [{run_id}]` "
            "to the stage's config (configs/<stage>.yaml or the run's config override) and run again"
        )
    run_dir = outputs.parent.parent / run_id
    if not run_dir.is_dir():
        raise GoldfishIOError(
            f"no run {run_id} in {run_dir.parent}: check the id with list_runs, and name it in the "
            f"stage config's `{CONFIG_KEY}` so the host stages its checkpoints on any backend"
        )
    return run_dir / "outputs" / ".goldfish" / CHECKPOINTS_DIR


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise GoldfishIOError(
            f"invalid checkpoint name {name!r}: letters, digits, _ . - (no '/'), "
            "starting with a letter or digit, at most 128 characters"
        )


def _check_step(step: Any) -> int | None:
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise GoldfishIOError(f"checkpoint step must be a non-negative int or None (got {step!r})")
    return int(step)


def _steps(container: Path) -> list[int]:
    """Steps saved under `container`, or [] if it is not a step container."""
    if not container.is_dir() or container.is_symlink():
        return []
    names = [p.name for p in container.iterdir() if not p.name.startswith(".")]
    matches = [STEP_RE.match(n) for n in names]
    if not names or not all(matches):
        return []  # a copied directory that happens to be called like a checkpoint
    return sorted({int(m.group(1)) for m in matches if m})


def _unstepped(root: Path, name: str) -> Path | None:
    for suffix in SUFFIXES:
        path = root / f"{name}{suffix}"
        if suffix == "" and path.is_dir() and (_steps(path) or _is_empty_dir(path)):
            continue  # a step container (an empty one is left by an interrupted first save)
        if path.exists():
            return path
    return None


def _is_empty_dir(path: Path) -> bool:
    return not any(not p.name.startswith(".") for p in path.iterdir())


def _is_ndarray(data: Any) -> bool:
    np = sys.modules.get("numpy")  # if numpy was never imported, data is no ndarray
    return np is not None and isinstance(data, np.ndarray)


def _save_npy(path: Path, data: Any) -> None:
    import numpy as np

    with open(path, "wb") as f:
        np.save(f, data)


def _save_pickle(name: str, path: Path, data: Any) -> None:
    import pickle  # only when a checkpoint is pickled: it is a third of goldfish.io's import time

    try:
        payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        raise GoldfishIOError(f"checkpoint {name!r} cannot be pickled: {e}") from None
    path.write_bytes(payload)


def _install(tmp: Path, dest: Path) -> None:
    """Put `tmp` at `dest`. A file over a file is one atomic rename; when a directory is
    involved, the old one is moved aside first because rename cannot replace it."""
    if dest.is_dir() or tmp.is_dir():
        aside = dest.with_name(f".{dest.name}.{os.urandom(16).hex()}.old")
        if dest.exists() or dest.is_symlink():
            os.rename(dest, aside)
        os.rename(tmp, dest)
        _remove(aside)
    else:
        os.replace(tmp, dest)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
