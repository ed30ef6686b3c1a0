"""Statistics of an output on a bounded sample, computed where the data is.

At most SAMPLE_SIZE items are looked at, whatever the output's size: an npy array is opened
with mmap and only the sampled elements are read, so a 50 GB output costs what a 50 MB one
does; a csv is read once as a stream with a reservoir of SAMPLE_SIZE rows (memory is bounded,
time grows with the file). Each statistic: null_ratio (NaN or empty), unique_count, min, max,
mean, std (numbers only), entropy (bits over the distinct values; the measure of categorical
data), samples_used, total. Without numpy an npy output gets a `note` instead of numbers.
"""

from __future__ import annotations

import csv
import math
import mmap
import random
from collections import Counter
from pathlib import Path
from typing import Any

from ._inputs import optional_module

SAMPLE_SIZE = 10_000
_SEED = 0  # the same output always gives the same statistics


def stats_of(path: Path, fmt: str) -> dict[str, Any] | None:
    """Statistics of the output file at `path`, or None for a format with none (directories, files)."""
    suffix = path.suffix.lower()
    if path.is_file() and (fmt == "npy" or suffix == ".npy"):
        return array_stats(path)
    if path.is_file() and (fmt == "csv" or suffix in (".csv", ".tsv")):
        return csv_stats(path, delimiter="\t" if suffix == ".tsv" else ",")
    return None


def array_stats(path: Path) -> dict[str, Any]:
    np = optional_module("numpy")
    if np is None:
        return {"kind": "tensor", "note": "numpy is not installed in the stage's environment: no statistics"}
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    _read_randomly(array)
    total = int(array.size)
    flat = array.reshape(-1) if array.flags.c_contiguous or array.ndim <= 1 else array.ravel(order="K")
    if total > SAMPLE_SIZE:
        rng = np.random.default_rng(_SEED)
        # Sorted indices read the mapped file front to back: a few pages per sample, never the whole.
        index = np.sort(rng.integers(0, total, size=SAMPLE_SIZE))
        sample = np.asarray(flat[index])
    else:
        sample = np.asarray(flat)
    result: dict[str, Any] = {
        "kind": "tensor",
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "total": total,
        "samples_used": int(sample.size),
        "sampled": total > SAMPLE_SIZE,
    }
    result.update(_numpy_stats(np, sample))
    return result


def _read_randomly(array: Any) -> None:
    """Without this the kernel reads ahead around every sampled element (128 KiB per page
    fault): a 10,000-element sample would read over a GiB of a large file."""
    mapping = getattr(array, "_mmap", None)
    advice = getattr(mmap, "MADV_RANDOM", None)
    if mapping is not None and advice is not None:
        try:
            mapping.madvise(advice)
        except (OSError, ValueError):
            pass


def _numpy_stats(np: Any, sample: Any) -> dict[str, Any]:
    if sample.size == 0:
        return {"null_ratio": 0.0, "unique_count": 0}
    kind = sample.dtype.kind
    out: dict[str, Any] = {}
    if kind in "fc":
        nan = np.isnan(sample) if kind == "f" else np.isnan(sample.real)
        out["null_ratio"] = float(nan.mean())
        values = sample[~nan]
    else:
        out["null_ratio"] = 0.0
        values = sample
    uniques, counts = np.unique(values, return_counts=True)
    out["unique_count"] = int(uniques.size)
    out["entropy"] = _entropy(counts.tolist())
    if kind in "fiub" and values.size:
        numbers = values.astype(np.float64)
        finite = numbers[np.isfinite(numbers)]
        if finite.size:
            out.update(
                min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()), std=float(finite.std())
            )
    return out


def csv_stats(path: Path, delimiter: str = ",") -> dict[str, Any]:
    """Per-column statistics over a reservoir of SAMPLE_SIZE rows (algorithm R)."""
    rng = random.Random(_SEED)
    reservoir: list[list[str]] = []
    rows = 0
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return {"kind": "tabular", "rows": 0, "columns": {}}
        for row in reader:
            rows += 1
            if len(reservoir) < SAMPLE_SIZE:
                reservoir.append(row)
            else:
                slot = rng.randrange(rows)
                if slot < SAMPLE_SIZE:
                    reservoir[slot] = row
    columns = {
        name: values_stats([row[i] if i < len(row) else "" for row in reservoir])
        for i, name in enumerate(header)
    }
    return {
        "kind": "tabular",
        "rows": rows,
        "samples_used": len(reservoir),
        "sampled": rows > SAMPLE_SIZE,
        "columns": columns,
    }


_MISSING = {"", "nan", "NaN", "NA", "N/A", "null", "None"}


def values_stats(values: list[Any]) -> dict[str, Any]:
    """Statistics of one column's sampled values (strings as read from csv, or Python values)."""
    if not values:
        return {"null_ratio": 0.0, "unique_count": 0}
    present = [v for v in values if not _is_missing(v)]
    out: dict[str, Any] = {
        "null_ratio": (len(values) - len(present)) / len(values),
        "unique_count": len(set(map(str, present))),
        "entropy": _entropy(list(Counter(map(str, present)).values())),
    }
    numbers = [n for n in (_number(v) for v in present) if n is not None and math.isfinite(n)]
    if present and len(numbers) == len(present):
        mean = sum(numbers) / len(numbers)
        out.update(
            type="number",
            min=min(numbers),
            max=max(numbers),
            mean=mean,
            std=math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers)),
        )
    else:
        out["type"] = "category"
    return out


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip() in _MISSING


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _entropy(counts: list[int]) -> float:
    total = sum(counts)
    if total == 0:
        return 0.0
    return float(-sum((c / total) * math.log2(c / total) for c in counts if c))
