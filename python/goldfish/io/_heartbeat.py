"""Liveness and control files shared with the host, under `<outputs_dir>/.goldfish/`.

heartbeat       atomic JSON {timestamp (epoch s), iso_time, message, pid}; the host reads it
                to tell a busy stage from a hung one.
logs.txt        runtime_log lines, capped so a chatty stage cannot fill the disk.
stop_requested  created by the host when it wants the stage to stop cleanly.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._atomic import write_text_atomic
from ._context import GoldfishIOError, current, runtime_dir

HEARTBEAT_FILE = "heartbeat"
LOG_FILE = "logs.txt"
STOP_FILE = "stop_requested"
MIN_INTERVAL = 1.0  # seconds between heartbeat writes unless forced
LOG_CAP_BYTES = 10 * 1024 * 1024

_lock = threading.Lock()
_last_write: float | None = None  # time.monotonic() of the last heartbeat write
_monotonic = time.monotonic  # a module attribute so tests can move time


def heartbeat(message: str | None = None, force: bool = False) -> bool:
    """Tell the host the stage is alive; at most one write per second unless `force`.

    Returns True if the heartbeat file was written, False if skipped by the rate limit.
    """
    global _last_write
    directory = runtime_dir()
    with _lock:
        now = _monotonic()
        if not force and _last_write is not None and now - _last_write < MIN_INTERVAL:
            return False
        wall = time.time()
        record = {
            "timestamp": wall,
            "iso_time": datetime.fromtimestamp(wall, timezone.utc).isoformat().replace("+00:00", "Z"),
            "message": None if message is None else str(message),
            "pid": os.getpid(),
        }
        try:
            write_text_atomic(directory / HEARTBEAT_FILE, json.dumps(record))
        except OSError as e:
            raise GoldfishIOError(f"cannot write heartbeat to {directory / HEARTBEAT_FILE}: {e}") from None
        _last_write = now
        return True


def read_heartbeat() -> dict[str, Any] | None:
    """The last heartbeat written, or None if there is none (or it cannot be read)."""
    try:
        data = json.loads((current().runtime_dir / HEARTBEAT_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def get_heartbeat_age() -> float | None:
    """Seconds since the last heartbeat, or None if there has been none."""
    data = read_heartbeat()
    if data is None or not isinstance(data.get("timestamp"), (int, float)):
        return None
    return max(0.0, time.time() - float(data["timestamp"]))


def runtime_log(message: str, level: str = "INFO") -> None:
    """Print `[YYYY-mm-dd HH:MM:SS] LEVEL: message` (UTC) and append it to logs.txt."""
    line = f"[{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}] {str(level).upper()}: {message}"
    path = runtime_dir() / LOG_FILE  # first, so outside Goldfish nothing is printed either
    print(line, flush=True)
    with _lock:
        try:
            _cap(path)
            with open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as e:
            raise GoldfishIOError(f"cannot append to {path}: {e}") from None


def _cap(path: Path) -> None:
    """Past the cap, keep the latter half (recent lines matter most), from a line start."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size <= LOG_CAP_BYTES:
        return
    with open(path, "rb") as f:
        f.seek(size - LOG_CAP_BYTES // 2)
        tail = f.read()
    newline = tail.find(b"\n")
    write_text_atomic(path, tail[newline + 1 :].decode("utf-8", errors="replace"))


def should_stop() -> bool:
    """True once the host has asked this stage to stop; check it between steps."""
    return (current().runtime_dir / STOP_FILE).exists()
