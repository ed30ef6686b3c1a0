"""Atomic file replacement: a reader sees the old file or the new one, never a partial one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Callable


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(f)` on a temp file next to `path`, then rename it over `path`.

    The temp file lives in the same directory so os.replace is a rename on one
    filesystem (atomic on POSIX). It starts with a dot so a host listing outputs
    that ignores dotfiles never picks it up; it is removed if `write` fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        # The host may read outputs as another user (a container runs as uid 1000), so the
        # usual 0644 whatever the umask.
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


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside `path` under a random name, created exclusively (as tempfile.mkstemp
    does, without importing tempfile, shutil and random into every stage's start)."""
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name beside {path}")


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))
