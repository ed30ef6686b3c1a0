"""Atomic file replacement: a reader sees the old file or the new one, never a partial one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Callable


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(f)` on a temp file next to `path`, then rename it over `path`.

    The temp file lives in the same directory so os.replace is a rename on one
    filesystem (atomic on POSIX). It starts with a dot so a host listing outputs
    that ignores dotfiles never picks it up; it is removed if `write` fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; the host may read outputs as another user
        # (a container runs as uid 1000), so give it the usual 0644.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))
