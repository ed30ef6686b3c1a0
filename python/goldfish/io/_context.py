"""The stage's view of its run: environment, stage config, directories.

Everything is read lazily from the environment on each call (with a small cache keyed
by the environment itself), so importing goldfish.io never fails outside Goldfish and
tests can change the environment between calls.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path
from typing import Any, NamedTuple

DEFAULT_INPUTS_DIR = "/mnt/inputs"
DEFAULT_OUTPUTS_DIR = "/mnt/outputs"
RUNTIME_DIRNAME = ".goldfish"

CONFIG_FILE_ENV = "GOLDFISH_STAGE_CONFIG_FILE"

_ENV_KEYS = (
    "GOLDFISH_STAGE_CONFIG",
    CONFIG_FILE_ENV,
    "GOLDFISH_RUN_ID",
    "GOLDFISH_WORKSPACE",
    "GOLDFISH_STAGE",
    "GOLDFISH_PROJECT_NAME",
    "GOLDFISH_GIT_SHA",
    "GOLDFISH_INPUTS_DIR",
    "GOLDFISH_OUTPUTS_DIR",
)


class GoldfishIOError(Exception):
    """A mistake in how stage code uses goldfish.io; the message says what to fix."""


class Context(NamedTuple):  # not a dataclass: importing dataclasses is a third of goldfish.io's start
    config: dict[str, Any]
    inputs_dir: Path
    outputs_dir: Path
    run_id: str | None = None
    workspace: str | None = None
    stage: str | None = None
    project: str | None = None
    git_sha: str | None = None
    inputs: dict[str, dict[str, Any]] = {}  # never mutated: the context is read-only
    outputs: dict[str, dict[str, Any]] = {}

    @property
    def runtime_dir(self) -> Path:
        return self.outputs_dir / RUNTIME_DIRNAME

    def input_spec(self, name: str) -> dict[str, Any]:
        return _declared(self.inputs, name, "input", "inputs", self.stage)

    def output_spec(self, name: str) -> dict[str, Any]:
        return _declared(self.outputs, name, "output", "outputs", self.stage)


def _declared(
    table: dict[str, dict[str, Any]], name: Any, kind: str, key: str, stage: str | None
) -> dict[str, Any]:
    if not isinstance(name, str) or name not in table:
        declared = ", ".join(sorted(table)) or "none"
        raise GoldfishIOError(
            f"{kind} {name!r} is not declared for stage {stage or '?'!r}; "
            f"declared {key}: {declared}. "
            f"Declare it under '{key}:' of this stage in pipeline.yaml."
        )
    return table[name]


_cache_lock = threading.Lock()
_cache: tuple[tuple[str | None, ...], Context] | None = None


def current() -> Context:
    """The run context, or GoldfishIOError when not running under Goldfish."""
    global _cache
    env = tuple(os.environ.get(k) for k in _ENV_KEYS)
    with _cache_lock:
        if _cache is not None and _cache[0] == env:
            return _cache[1]
        ctx = _build(dict(zip(_ENV_KEYS, env)))
        _cache = (env, ctx)
        return ctx


def config_file(env: dict[str, str | None]) -> Path | None:
    """The stage config file Goldfish wrote (GOLDFISH_STAGE_CONFIG_FILE, relative to the
    inputs folder), or None. The host passes the config as a file because a large value
    in the environment makes the stage's exec fail with "Argument list too long"."""
    name = env.get(CONFIG_FILE_ENV)
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute():
        path = Path(env.get("GOLDFISH_INPUTS_DIR") or DEFAULT_INPUTS_DIR) / path
    return path


def _build(env: dict[str, str | None]) -> Context:
    raw = env["GOLDFISH_STAGE_CONFIG"]
    source = "GOLDFISH_STAGE_CONFIG"
    path = config_file(env)
    if raw is None and path is not None:
        source = str(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise GoldfishIOError(
                f"cannot read the stage config {path} ({CONFIG_FILE_ENV}): {e}"
            ) from None
    if raw is None:
        raise GoldfishIOError(
            "this stage is not running under Goldfish: GOLDFISH_STAGE_CONFIG is not set "
            f"(nor {CONFIG_FILE_ENV}). "
            "Start it with `goldfish run`, or set the GOLDFISH_* variables yourself to test it."
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise GoldfishIOError(f"{source} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise GoldfishIOError(f"{source} must be a JSON object")
    signals = {}
    for key in ("inputs", "outputs"):
        table = config.get(key) or {}
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise GoldfishIOError(
                f"GOLDFISH_STAGE_CONFIG.{key} must be an object of {{name: {{...}}}}"
            )
        signals[key] = table
    return Context(
        config=config,
        inputs_dir=Path(env["GOLDFISH_INPUTS_DIR"] or DEFAULT_INPUTS_DIR),
        outputs_dir=Path(env["GOLDFISH_OUTPUTS_DIR"] or DEFAULT_OUTPUTS_DIR),
        run_id=env["GOLDFISH_RUN_ID"],
        workspace=env["GOLDFISH_WORKSPACE"],
        stage=env["GOLDFISH_STAGE"] or config.get("stage"),
        project=env["GOLDFISH_PROJECT_NAME"],
        git_sha=env["GOLDFISH_GIT_SHA"],
        inputs=signals["inputs"],
        outputs=signals["outputs"],
    )


def runtime_dir() -> Path:
    """`<outputs_dir>/.goldfish`, created on demand."""
    path = current().runtime_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GoldfishIOError(f"cannot create Goldfish runtime dir {path}: {e}") from None
    return path


def signal_format(spec: dict[str, Any], override: str | None = None, default: str = "file") -> str:
    """Format of a signal: explicit override, then `format`, then `type`, then `default`.

    Falling back to `type` means a signal declared `type: npy` without a `format`
    still loads as an array, which is what a user writing that expects. Pipelines
    default inputs to `dataset` and outputs to `directory`; callers pass that default.
    """
    fmt = override or spec.get("format") or spec.get("type") or default
    return str(fmt).lower()


def get_config() -> dict[str, Any]:
    """The stage config: the user's configs/<stage>.yaml (with overrides) plus `stage`,
    `inputs` and `outputs`. A copy, so changing it cannot confuse later calls."""
    return copy.deepcopy(current().config)
