"""Metrics written to `<outputs_dir>/.goldfish/metrics.jsonl`, which the host ingests.

Lines:  {"type": "metric", "name", "value", "step", "timestamp"}
        {"type": "artifact", "name", "path", "timestamp"}
Entries are buffered and appended at 100 entries, every GOLDFISH_METRICS_FLUSH_INTERVAL
seconds (a daemon thread), on flush_metrics()/finish_metrics(), and at interpreter exit.
Everything is checked when logged, so a bad metric fails where the stage code is.
"""

from __future__ import annotations

import atexit
import json
import math
import numbers
import os
import re
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from ._context import GoldfishIOError, current

NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.\-/:]{0,255}$")
METRICS_FILE = "metrics.jsonl"
FLUSH_AT = 100
DEFAULT_FLUSH_INTERVAL = 5.0
DEFAULT_MAX_NAMES = 10_000


def log_metric(name: str, value: Any, step: int | None = None, timestamp: Any = None) -> None:
    """Record one metric value; a name is logged always with a step or always without."""
    log_metrics({name: value}, step=step, timestamp=timestamp)


def log_metrics(metrics: dict[str, Any], step: int | None = None, timestamp: Any = None) -> None:
    """Record several metrics at one step and time; all are checked before any is kept."""
    if not isinstance(metrics, dict):
        raise GoldfishIOError(f"log_metrics takes a dict of name -> number (got {type(metrics).__name__})")
    step = _check_step(step)
    ts = normalize_timestamp(timestamp)
    entries = [(_check_name(n, "metric"), _check_value(n, v)) for n, v in metrics.items()]
    _writer().log(entries, step, ts)


def log_artifact(name: str, relative_path: str | PurePath) -> None:
    """Tell the host about a file or folder the stage wrote, by its path relative to the
    outputs dir. When the run ends the host stores it with the run's outputs and lists it as
    output `artifact:<name>` (inspect_run, lineage); a path it cannot find is a warning."""
    rel = check_artifact(name, relative_path)
    line = {"type": "artifact", "name": name, "path": rel.as_posix(), "timestamp": normalize_timestamp(None)}
    _writer().append([line])


def check_artifact(name: Any, relative_path: Any) -> PurePosixPath:
    """The artifact's path, once its name and path are known to be acceptable."""
    _check_name(name, "artifact")
    rel = (
        PurePosixPath(str(relative_path).replace(os.sep, "/"))
        if isinstance(relative_path, (str, PurePath)) and str(relative_path)
        else None
    )
    if rel is None or rel.is_absolute() or ".." in rel.parts or str(rel) == ".":
        raise GoldfishIOError(
            f"log_artifact({name!r}, {str(relative_path)!r}): give a path relative to the "
            "outputs dir, without '..'"
        )
    return rel


def flush_metrics() -> None:
    """Write buffered metrics to metrics.jsonl now."""
    _writer().flush()


def finish_metrics() -> None:
    """Flush and stop the background flusher (it restarts if more metrics are logged)."""
    _writer().close()


# ---- validation -------------------------------------------------------------------------


def _check_name(name: Any, kind: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise GoldfishIOError(
            f"invalid {kind} name {name!r}: start with a letter, then up to 255 of "
            "letters, digits, _ . - / :"
        )
    return name


def _check_value(name: str, value: Any) -> float:
    # numpy / torch scalars: take the Python number out.
    if not isinstance(value, numbers.Real) and hasattr(value, "item"):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GoldfishIOError(
            f"metric {name!r}: value must be an int or float (got {type(value).__name__}); "
            "log a bool as 0 or 1"
        )
    value = float(value)
    if not math.isfinite(value):
        raise GoldfishIOError(f"metric {name!r}: value is {value}; NaN and infinity are not recorded")
    return value


def _check_step(step: Any) -> int | None:
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise GoldfishIOError(f"step must be a non-negative int or None (got {step!r})")
    return int(step)


def normalize_timestamp(timestamp: Any) -> str:
    """ISO-8601 UTC with microseconds and `Z`, from None (now), epoch seconds, a datetime
    (naive means UTC) or an ISO-8601 string."""
    if timestamp is None:
        dt = datetime.now(timezone.utc)
    elif isinstance(timestamp, datetime):
        dt = timestamp
    elif isinstance(timestamp, numbers.Real) and not isinstance(timestamp, bool):
        try:
            dt = datetime.fromtimestamp(float(timestamp), timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise GoldfishIOError(f"timestamp {timestamp!r} is not a valid epoch time") from None
    elif isinstance(timestamp, str):
        try:
            dt = datetime.fromisoformat(timestamp)
        except ValueError:
            raise GoldfishIOError(f"timestamp {timestamp!r} is not ISO-8601") from None
    else:
        raise GoldfishIOError(
            f"timestamp must be None, epoch seconds, a datetime or an ISO-8601 string (got {timestamp!r})"
        )
    dt = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- the buffered writer ------------------------------------------------------------------


class _Writer:
    def __init__(self, path: Path, interval: float, max_names: int) -> None:
        self.path = path
        self.interval = interval
        self.max_names = max_names
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._uses_step: dict[str, bool] = {}  # name -> logged with a step?
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: str | None = None
        # Flush failures on the background thread, where nobody could be raised to
        # (goldfish.metrics.had_backend_errors / get_backend_errors read them).
        self.errors: list[str] = []

    def log(self, entries: list[tuple[str, float]], step: int | None, ts: str) -> None:
        lines = [{"type": "metric", "name": n, "value": v, "step": step, "timestamp": ts} for n, v in entries]
        with self._lock:
            # Check the whole batch against what was logged before, then commit it.
            new = {n for n, _ in entries if n not in self._uses_step}
            for name, _ in entries:
                used = self._uses_step.get(name)
                if used is not None and used != (step is not None):
                    was = "with a step" if used else "without a step"
                    raise GoldfishIOError(
                        f"metric {name!r} was first logged {was}; log it {was} every time"
                    )
            if len(self._uses_step) + len(new) > self.max_names:
                raise GoldfishIOError(
                    f"too many distinct metric names (limit {self.max_names}, from "
                    "GOLDFISH_METRICS_MAX_NAMES); put the varying part in the step or value"
                )
            for name in new:
                self._uses_step[name] = step is not None
            self._append_locked(lines)

    def append(self, lines: list[dict[str, Any]]) -> None:
        with self._lock:
            self._append_locked(lines)

    def _append_locked(self, lines: list[dict[str, Any]]) -> None:
        self._buffer.extend(json.dumps(line) + "\n" for line in lines)
        if len(self._buffer) >= FLUSH_AT:
            self._flush_locked()
        self._ensure_flusher_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._buffer:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write of whole lines in append mode: the host, tailing the file,
            # never sees a line of ours cut by another of ours.
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(self._buffer))
        except OSError as e:
            # Keep the buffer: a later flush may succeed (the host de-duplicates lines).
            raise GoldfishIOError(f"cannot write metrics to {self.path}: {e}") from None
        self._buffer.clear()

    def _ensure_flusher_locked(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="goldfish-metrics-flush", daemon=True
            )
            self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.flush()
            except GoldfishIOError as e:
                # Nobody to raise to on this thread; say it once on stderr, retry next time.
                if len(self.errors) < 100:
                    self.errors.append(str(e))
                if str(e) != self._reported:
                    self._reported = str(e)
                    print(f"goldfish: {e}", file=sys.stderr, flush=True)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 5)
        self.flush()


_writer_lock = threading.Lock()
_current: _Writer | None = None
_atexit_registered = False


def _writer() -> _Writer:
    """The writer for this run (a new one if the outputs dir changed, e.g. between tests)."""
    global _current, _atexit_registered
    path = current().runtime_dir / METRICS_FILE
    with _writer_lock:
        if _current is None or _current.path != path:
            if _current is not None:
                _close_quietly(_current)
            interval = _env_float("GOLDFISH_METRICS_FLUSH_INTERVAL", DEFAULT_FLUSH_INTERVAL)
            max_names = int(_env_float("GOLDFISH_METRICS_MAX_NAMES", DEFAULT_MAX_NAMES))
            _current = _Writer(path, interval, max_names)
        if not _atexit_registered:
            atexit.register(_at_exit)
            _atexit_registered = True
        return _current


def _env_float(key: str, default: float) -> float:
    # The host sets these; a bad value should not stop a stage, so fall back to the default.
    try:
        value = float(os.environ.get(key, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


def _close_quietly(writer: _Writer) -> None:
    try:
        writer.close()
    except GoldfishIOError as e:
        print(f"goldfish: {e}", file=sys.stderr, flush=True)


def _at_exit() -> None:
    with _writer_lock:
        writer = _current
    if writer is not None:
        _close_quietly(writer)


def _after_fork_in_child() -> None:
    # A forked worker (e.g. a DataLoader) inherits the parent's unflushed lines, which the
    # parent will write itself, and a lock some parent thread may hold. Start clean.
    global _writer_lock
    _writer_lock = threading.Lock()
    writer = _current
    if writer is not None:
        writer._lock = threading.Lock()
        writer._buffer.clear()
        writer._thread = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def close_current() -> None:
    """Flush and stop the active writer if there is one; raises if the flush fails."""
    with _writer_lock:
        writer = _current
    if writer is not None:
        writer.close()
