"""goldfish.metrics: the metrics module under the names upstream's goldfish-ml gives it.

It is the same writer goldfish.io uses (one `.goldfish/metrics.jsonl` per run, buffered,
checked when logged; see goldfish.io._metrics), so `from goldfish.metrics import log_metric`
and `from goldfish.io import log_metric` write the same file.

  log_metric(name, value, step=None, timestamp=None)
  log_metrics({name: value}, step=None, timestamp=None)
  log_artifact(name, relative_path)      a file or folder under the outputs folder; the host
                                         stores it with the run's outputs when the run ends and
                                         lists it in inspect_run as output `artifact:<name>`
  log_artifacts({name: relative_path})
  flush_metrics(), finish_metrics()
  had_backend_errors(), get_backend_errors()
                                         whether writing metrics failed where nobody could be
                                         told (the background flush); the only backend here is
                                         the metrics file the host reads (no W&B)
  get_logger()                           an object with the same methods, for code that passes
                                         a logger around
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Mapping

from goldfish.io import _metrics
from goldfish.io._context import GoldfishIOError
from goldfish.io._metrics import finish_metrics, flush_metrics, log_artifact, log_metric, log_metrics

__all__ = [
    "log_metric",
    "log_metrics",
    "log_artifact",
    "log_artifacts",
    "flush_metrics",
    "finish_metrics",
    "had_backend_errors",
    "get_backend_errors",
    "get_logger",
    "MetricsLogger",
]


def log_artifacts(artifacts: Mapping[str, str | PurePath]) -> None:
    """log_artifact for each `name: relative_path`; every entry is checked before any is kept."""
    if not isinstance(artifacts, Mapping):
        raise GoldfishIOError(
            f"log_artifacts takes a dict of name -> path relative to the outputs dir (got {type(artifacts).__name__})"
        )
    for name, path in artifacts.items():
        _metrics.check_artifact(name, path)
    for name, path in artifacts.items():
        log_artifact(name, path)


def get_backend_errors() -> list[str]:
    """Errors the background flush met (oldest first, at most 100); [] when all went well."""
    writer = _metrics._current
    return list(writer.errors) if writer is not None else []


def had_backend_errors() -> bool:
    """True if writing metrics failed where no caller could be told."""
    return bool(get_backend_errors())


class MetricsLogger:
    """The module's functions as methods (upstream's get_logger() object)."""

    def log_metric(self, name: str, value: Any, step: int | None = None, timestamp: Any = None) -> None:
        log_metric(name, value, step=step, timestamp=timestamp)

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None, timestamp: Any = None) -> None:
        log_metrics(metrics, step=step, timestamp=timestamp)

    def log_artifact(self, name: str, relative_path: str | PurePath) -> None:
        log_artifact(name, relative_path)

    def log_artifacts(self, artifacts: Mapping[str, str | PurePath]) -> None:
        log_artifacts(artifacts)

    def flush(self) -> None:
        flush_metrics()

    def finish(self) -> None:
        finish_metrics()

    def had_backend_errors(self) -> bool:
        return had_backend_errors()

    def get_backend_errors(self) -> list[str]:
        return get_backend_errors()


_logger = MetricsLogger()


def get_logger() -> MetricsLogger:
    """The run's metrics logger."""
    return _logger
