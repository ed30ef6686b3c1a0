"""Issue #13 "Done when": a research session in upstream's exact tool names and parameters.

An agent fits a learning rate: two runs of one stage with a results_spec and different configs,
the finalization gate holding back the next run until each is finalized, the comparison (metric
delta and config diff), the better run tagged best-1, get_experiment_context naming it, a worse
third run raising a regression alert, the finalized history ordered by metric, a version pruned
and unpruned, and a long stage whose metrics are visible while it runs.

The shapes asserted are upstream's (upstream-features.md §1.2, §1.4, §9.2)."""
import json
from pathlib import Path

import anyio
import pytest

from conftest import error, ok, run, session

REASON = "fitting the learning rate of a toy model"
WORKSPACE = "research"

# Upstream requires a top-level name; anything but "pipeline" used to leave runs preparing forever.
PIPELINE = """name: research
description: Tune the learning rate of a one-parameter model.
stages:
  - name: fit
    outputs:
      model: {type: file, schema: null}
  - name: slow
    outputs:
      done: {type: file, schema: null}
"""

# Gradient descent on (w - 3)^2: the final loss is 9 * (1 - 2 * rate)^(2 * steps).
FIT = """import json

from goldfish.io import get_config, get_output_path, log_metric, save_output

config = get_config()
rate = float(config["learning_rate"])
w = 0.0
for step in range(20):
    w -= rate * 2 * (w - 3)
    log_metric("val_loss", (w - 3) ** 2, step=step)
with open(get_output_path("model"), "w") as handle:
    json.dump({"w": w}, handle)
save_output("model", get_output_path("model"))
"""

# About ten seconds of work, its progress flushed at every step so it can be watched.
SLOW = """import json
import time

from goldfish.io import flush_metrics, get_output_path, log_metric, save_output

for step in range(20):
    log_metric("progress", step / 19, step=step)
    flush_metrics()
    time.sleep(0.5)
with open(get_output_path("done"), "w") as handle:
    json.dump({"steps": 20}, handle)
save_output("done", get_output_path("done"))
"""

FIT_SPEC = {
    "primary_metric": "val_loss", "direction": "minimize", "min_value": 1.0, "goal_value": 0.001,
    "dataset_split": "val", "tolerance": 0.01,
    "context": "squared distance of the fitted weight from the optimum after 20 steps",
}
SLOW_SPEC = {
    "primary_metric": "progress", "direction": "maximize", "min_value": 0.5, "goal_value": 1.0,
    "dataset_split": "other", "tolerance": 0.0, "context": "fraction of the long stage's steps that finished",
}
SUCCEEDED = {"completed", "awaiting_user_finalization"}


def final_loss(rate: float) -> float:
    w = 0.0
    for _ in range(20):
        w -= rate * 2 * (w - 3)
    return (w - 3) ** 2


def results(value: float, outcome: str, notes: str) -> dict:
    return {"primary_metric": "val_loss", "direction": "minimize", "value": value, "dataset_split": "val",
            "ml_outcome": outcome, "notes": notes}


async def fit(client, rate: float) -> dict:
    """One run of `fit` with this learning rate, waited for; upstream's wait=True answer."""
    answer = ok(await client.call_tool("run", {
        "workspace": "w1", "stages": ["fit"],
        "reason": {"description": f"fit with learning rate {rate}", "hypothesis": "a larger rate converges faster"},
        "results_spec": FIT_SPEC, "config_override": {"learning_rate": rate}, "experiment_group": "lr-sweep",
        "wait": True, "wait_timeout_seconds": 240}))
    [stage_run] = answer["stage_runs"]
    assert stage_run["stage"] == "fit" and stage_run["state"] in SUCCEEDED, stage_run
    return stage_run


async def refused_by_gate(client, pending: list[str]) -> dict:
    refused = error(await client.call_tool("run", {
        "workspace": "w1", "stages": ["fit"], "reason": REASON, "results_spec": FIT_SPEC,
        "config_override": {"learning_rate": 0.2}}))
    assert refused["code"] == "finalization_required", refused
    text = refused["message"] + " " + refused["hint"]
    for run_id in pending:
        assert run_id in text, text
    assert "finalize_run" in text and "list_unfinalized_runs" in text, text
    return refused


def test_research_session(project: Path):
    async def main():
        async with session(project) as client:
            # Set up: a workspace whose pipeline has a name of its own.
            ok(await client.call_tool("create_workspace", {
                "name": WORKSPACE, "goal": "find the learning rate that fits best", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": WORKSPACE, "slot": "w1", "reason": REASON}))["path"])
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "configs").mkdir(exist_ok=True)
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules" / "fit.py").write_text(FIT)
            (slot / "modules" / "slow.py").write_text(SLOW)
            (slot / "configs" / "fit.yaml").write_text("learning_rate: 0.1\n")
            dry = ok(await client.call_tool("run", {"workspace": "w1", "dry_run": True}))
            assert dry["valid"] and dry["stages_to_run"] == ["fit", "slow"], dry
            pipeline = ok(await client.call_tool("inspect_workspace", {"name": WORKSPACE, "include": ["pipeline"]}))
            assert pipeline["pipeline"]["name"] == "research", pipeline

            # Run A. Without a results_spec the run is refused with an example.
            missing = error(await client.call_tool("run", {"workspace": "w1", "stages": ["fit"], "reason": REASON}))
            assert missing["code"] == "results_spec_required" and "primary_metric" in missing["message"], missing
            slow_rate, fast_rate, worse_rate = 0.05, 0.3, 0.01
            first = await fit(client, slow_rate)

            # [needs h-core: the run's infra outcome] The gate holds run B until A is finalized.
            await refused_by_gate(client, [first["stage_run_id"]])
            unfinalized = ok(await client.call_tool("list_unfinalized_runs", {"workspace": WORKSPACE}))
            assert [r["stage_run_id"] for r in unfinalized["runs"]] == [first["stage_run_id"]], unfinalized
            finalized_a = ok(await client.call_tool("finalize_run", {
                "record_or_run_id": first["stage_run_id"],
                "results": results(final_loss(slow_rate), "partial", "converges, but slowly at this rate")}))
            assert finalized_a["results_status"] == "finalized" and finalized_a["stage_run_id"] == first["stage_run_id"]
            assert finalized_a["comparison"]["vs_previous"] is None, finalized_a

            # Run B with another config; the gate then holds run C until B is finalized.
            second = await fit(client, fast_rate)
            await refused_by_gate(client, [second["stage_run_id"]])
            finalized_b = ok(await client.call_tool("finalize_run", {
                "record_or_run_id": second["stage_run_id"],
                "results": results(final_loss(fast_rate), "success", "reaches the optimum within 20 steps")}))
            comparison = finalized_b["comparison"]
            assert comparison["vs_previous"]["record"] == finalized_a["record_id"], comparison
            delta = final_loss(fast_rate) - final_loss(slow_rate)
            assert comparison["vs_previous"]["delta"] == pytest.approx(delta, abs=1e-6), comparison
            diff = json.dumps(comparison["config_diff"])
            assert "learning_rate" in diff and str(slow_rate) in diff and str(fast_rate) in diff, diff

            # The better one becomes best-1, and the experiment context names it.
            tagged = ok(await client.call_tool("tag_record", {"ref": second["stage_run_id"], "tag": "best-1"}))
            assert tagged["tag"] == "best-1" and tagged["record_type"] == "run", tagged
            assert tagged["record_id"] == finalized_b["record_id"], tagged
            context = ok(await client.call_tool("get_experiment_context", {"workspace": WORKSPACE}))
            assert context["current_best"]["record_id"] == finalized_b["record_id"], context
            assert context["current_best"]["tag"] == "best-1", context
            assert context["awaiting_finalization"] == [], context
            assert finalized_b["record_id"] not in [a["record_id"] for a in context["regression_alerts"]], context

            # A worse third run raises a regression alert against best-1. (A note in its code makes it a
            # version of its own, which is pruned below.)
            (slot / "modules" / "fit.py").write_text(FIT + "# trying a much smaller rate\n")
            third = await fit(client, worse_rate)
            assert third["version"] != second["version"], (second, third)
            finalized_c = ok(await client.call_tool("finalize_run", {
                "record_or_run_id": third["stage_run_id"],
                "results": results(final_loss(worse_rate), "miss", "far too small a rate for 20 steps")}))
            assert finalized_c["comparison"]["vs_best"]["record"] == finalized_b["record_id"], finalized_c
            context = ok(await client.call_tool("get_experiment_context", {"workspace": WORKSPACE}))
            # Upstream's rule: minimize and value > best + tolerance (run A may be flagged too).
            alerts = {alert["record_id"]: alert for alert in context["regression_alerts"]}
            assert finalized_c["record_id"] in alerts and finalized_b["record_id"] not in alerts, context
            alert = alerts[finalized_c["record_id"]]
            assert alert["value"] == pytest.approx(final_loss(worse_rate)), alert
            assert alert["best_value"] == pytest.approx(final_loss(fast_rate), abs=1e-9), alert
            assert len(context["recent_trend"]) == 3, context

            # The finalized history, ordered by the metric (desc by default).
            history = ok(await client.call_tool("list_history", {
                "workspace": WORKSPACE, "sort_by": "metric", "finalized_only": True}))
            ordered = [record["record_id"] for record in history["records"]]
            assert ordered == [finalized_c["record_id"], finalized_a["record_id"], finalized_b["record_id"]], history
            assert all(record["results_status"] == "finalized" for record in history["records"]), history
            group = ok(await client.call_tool("list_history", {"workspace": WORKSPACE, "experiment_group": "lr-sweep"}))
            assert group["total"] == 3, group
            best = ok(await client.call_tool("inspect_record", {
                "ref": "@best-1", "workspace": WORKSPACE, "include": ["results", "comparison", "tags"]}))
            assert best["record_id"] == finalized_b["record_id"], best

            # The worse run's version is pruned, hidden, then unpruned (the newest version cannot be
            # pruned: work continues from it, so a note is saved first).
            (slot / "NOTES.md").write_text("small rates do not converge in 20 steps\n")
            ok(await client.call_tool("save_version", {"slot": "w1", "message": "notes on the learning-rate sweep"}))
            version = third["version"]
            pruned = ok(await client.call_tool("manage_versions", {
                "workspace": WORKSPACE, "action": "prune", "version": version,
                "reason": "a rate this small is a dead end"}))
            assert pruned["success"], pruned
            listed = ok(await client.call_tool("manage_versions", {"workspace": WORKSPACE, "action": "list"}))
            assert version not in [v["version"] for v in listed["versions"]], listed
            everything = ok(await client.call_tool("manage_versions", {
                "workspace": WORKSPACE, "action": "list", "include_pruned": True}))
            [row] = [v for v in everything["versions"] if v["version"] == version]
            assert row["pruned_at"] and row["prune_reason"] == "a rate this small is a dead end", row
            ok(await client.call_tool("manage_versions", {
                "workspace": WORKSPACE, "action": "unprune", "version": version, "reason": "keep it for the record"}))
            listed = ok(await client.call_tool("manage_versions", {"workspace": WORKSPACE, "action": "list"}))
            assert version in [v["version"] for v in listed["versions"]], listed

            # A long stage: its metrics are visible while it runs.
            started = ok(await client.call_tool("run", {
                "workspace": "w1", "stages": ["slow"], "reason": "watch a long stage while it runs",
                "results_spec": SLOW_SPEC}))
            run_id = started["queued"][0]["stage_run_id"]
            seen_running: list[dict] = []
            state = "preparing"
            with anyio.fail_after(300):
                while state not in SUCCEEDED | {"failed", "terminated", "canceled"}:
                    inspected = ok(await client.call_tool("inspect_run", {"run_id": run_id, "include": ["dashboard"]}))
                    state = inspected["dashboard"]["state"]
                    metrics = inspected["dashboard"]["metrics"]
                    if state == "running" and "progress" in metrics:
                        seen_running.append(metrics["progress"])
                    await anyio.sleep(0.5)
            assert state in SUCCEEDED, inspected
            assert seen_running, "no metric was visible while the stage ran"
            assert any(0 < entry["value"] < 1 for entry in seen_running), seen_running
            counts = [entry["count"] for entry in seen_running]
            assert counts == sorted(counts) and counts[-1] > counts[0], counts
    run(main())
