"""Issue #17's targets, judged from the rows of one bench/run.py invocation.

Each target names the rows it reads (by words in their measure and baseline) and how it is judged:
`ratio` (ours ÷ base at most), `over` (ours − base at most, in the row's unit), `per_stage` (ours − base
spread over the critical path's stages), `at_most` (ours alone). A target whose rows were not measured
in this invocation says so instead of passing.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    measure: str  # words the row's measure contains
    judge: str  # ratio, over, per_stage, at_most
    limit: float
    baseline: str = ""  # words the row's baseline contains
    stages: int = 1  # per_stage: stages along the critical path
    detail: str = ""  # more words the row's measure contains

    def matches(self, row):
        return self.measure in row.measure and self.detail in row.measure and self.baseline in row.baseline

    def verdict(self, row):
        ours, base = row.ours, row.base
        if ours is None or (self.judge != "at_most" and base is None):
            return None, row.note or "not measured"
        if self.judge == "ratio":
            value = ours / base if base else float("inf")
            faster = f", {1 / value:.0f}× faster" if 0 < value < 1 else ""
            return value <= self.limit, f"{value:.3f}×{faster} (≤ {self.limit:g}×)"
        if self.judge == "at_most":
            return ours <= self.limit, f"{shown(ours, row.unit)} (≤ {shown(self.limit, row.unit)})"
        spread = (ours - base) / self.stages
        label = "per stage" if self.judge == "per_stage" else "over"
        return spread <= self.limit, f"+{shown(spread, row.unit)} {label} (≤ +{shown(self.limit, row.unit)})"


def shown(value, unit):
    if unit == "ns":
        return f"{value / 1000:.1f} µs"
    return f"{value * 1000:.1f} ms" if abs(value) < 1 else f"{value:.2f} s"


TARGETS = [
    Target("cold MCP session ≥ 100× goldfish-ml", "MCP cold session", "ratio", 0.01, "goldfish-ml"),
    Target("MCP `status` ≥ 10× goldfish-ml", "MCP `status`", "ratio", 0.1, "goldfish-ml",
           detail="per call, server up"),
    Target("MCP `inspect_run` ≥ 10× goldfish-ml", "MCP `inspect_run`", "ratio", 0.1, "goldfish-ml",
           detail="per call, server up"),
    Target("MCP `list_history` ≥ 10× goldfish-ml", "MCP `list_history`", "ratio", 0.1, "goldfish-ml",
           detail="per call, server up"),
    Target("`run(wait)` answers ≤ 10 ms after the run ends", "run's end recorded → answer", "at_most", 0.010),
    Target("trivial stage ≤ +100 ms over `python3 stage.py`", "trivial stage, `run --wait` (process", "over", 0.100,
           "python3"),
    Target("trivial stage on docker ≤ +150 ms over `docker run`", "trivial stage, `run --wait` (docker", "over", 0.150,
           "docker run"),
    Target("warm dispatch, process ≤ +50 ms", "launch → stage's first line, process: warm agent", "over", 0.050),
    Target("warm dispatch, docker ≤ +50 ms", "launch → stage's first line, docker: warm container", "over", 0.050),
    Target("warm dispatch, gce stand-in ≤ +1 s", "gce stand-in: run --wait on an idle warm VM", "over", 1.0),
    Target("20-stage DAG ≤ +0.1 s per stage", "20-stage DAG (4 × 5", "per_stage", 0.1, "critical path", stages=5),
    Target("ABI call via the host ≤ +10 µs over the raw table", "ABI call via the host (`uri_for`, `call_timeout",
           "over", 10_000, "raw C table"),
    Target("re-save of 100,000 unchanged files ≤ 200 ms", "re-save, 100,000 unchanged", "at_most", 0.200,
           "stat cache removed"),
    Target("checkpoint of 100,000 new files ≤ 0.7× git", "checkpoint (sync+commit+tag), 100,000 new files", "ratio",
           0.7, "git"),
    Target("`file` put 256 MiB ≤ 1.5× `cp` + `sync`", "file put 256 MiB", "ratio", 1.5, "sync"),
]


def target_lines(rows):
    """The Markdown table of every target against the rows that measured it."""
    lines = ["| Target (issue #17) | Row | Measured | Met |", "|---|---|---|:-:|"]
    for target in TARGETS:
        matched = [row for row in rows if target.matches(row)]
        if not matched:
            lines.append(f"| {target.name} | — | not in this invocation | — |")
            continue
        for row in matched:
            met, text = target.verdict(row)
            mark = "—" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {target.name} | {row.measure} | {text} | {mark} |")
    lines += flatness_lines(rows)
    return lines


def flatness_lines(rows, small="1,000 runs", large="100,000 runs", limit=1.5):
    """MCP calls must cost the same at 1,000 and 100,000 runs: ours at the large size ÷ ours at the small."""
    lines = []
    for tool in ("status", "inspect_run", "list_history"):
        sizes = {}
        for row in rows:
            if f"MCP `{tool}`" in row.measure and "per call" in row.measure and row.ours is not None:
                for size in (small, large):
                    if size in row.measure:
                        sizes[size] = row.ours
        if len(sizes) < 2:
            lines.append(f"| MCP `{tool}` flat from {small} to {large} | — | not in this invocation | — |")
            continue
        growth = sizes[large] / sizes[small]
        mark = "yes" if growth <= limit else "**no**"
        lines.append(f"| MCP `{tool}` flat from {small} to {large} | ours at both sizes | {growth:.2f}× "
                     f"(≤ {limit:g}×) | {mark} |")
    return lines
