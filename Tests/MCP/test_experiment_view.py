"""The experiment view through the official client (which checks every answer against the tool's
outputSchema): get_experiment_context, mount's context, status and dashboard blocks, rollback's files.

Runs are made by the CLI (a person's run needs no results spec); their finalization and the best
tag are written into the project's database the way finalize_run and tag_record store them."""
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from conftest import error, goldfish, ok, run, session

REASON = "testing the experiment view an agent reads"
PIPELINE = "name: research\nstages:\n  - name: hello\n    outputs: {}\n"


def finalize(project: Path, stage_run_id: str, value: float, tag: str | None = None) -> str:
    now = datetime.now(timezone.utc).isoformat()
    results = {"primary_metric": "val_acc", "direction": "maximize", "value": value, "dataset_split": "val",
               "ml_outcome": "success", "notes": "measured on the held-out split"}
    with sqlite3.connect(project / ".goldfish" / "goldfish.db") as db:
        db.execute(
            "UPDATE run_results SET results_status = 'finalized', results_final = ?, primary_metric = 'val_acc', "
            "primary_value = ?, ml_outcome = 'success', finalized_by = 'test', finalized_at = ? WHERE stage_run_id = ?",
            (json.dumps(results), value, now, stage_run_id))
        (record, workspace) = db.execute(
            "SELECT id, workspace FROM experiment_records WHERE stage_run_id = ?", (stage_run_id,)).fetchone()
        if tag:
            db.execute("INSERT INTO record_tags (workspace, tag, record_id, created_at) VALUES (?, ?, ?, ?)",
                       (workspace, tag, record, now))
    return record


def test_experiment_context_mount_status_dashboard_and_rollback(project: Path):
    async def main():
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "exp", "goal": "a research line", "reason": REASON}))
            mounted = ok(await client.call_tool("mount", {"workspace": "exp", "slot": "w1", "reason": REASON}))
            assert mounted["experiment_context"]["current_best"] is None and mounted["warning"] is None
            assert mounted["last_checkpoint"] is None
            slot = Path(mounted["path"])
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "pipeline.yaml").write_text(PIPELINE)
            runs = []
            for text in ("first", "second", "third"):
                (slot / "modules" / "hello.py").write_text(f"print('{text}')\n")
                done = json.loads(goldfish("run", "w1", "--reason", REASON, "--wait", "--json", cwd=project).stdout)
                runs.append(done["stage_runs"][0]["stage_run_id"])
            finalize(project, runs[0], 0.80)
            best = finalize(project, runs[1], 0.90, tag="best-1")
            finalize(project, runs[2], 0.70)

            context = ok(await client.call_tool("get_experiment_context", {"workspace": "w1"}))
            assert context["workspace"] == "exp"
            assert context["current_best"]["record_id"] == best and context["current_best"]["tag"] == "best-1"
            assert context["current_best"]["value"] == 0.9 and context["current_best"]["direction"] == "maximize"
            assert [point["stage_run_id"] for point in context["recent_trend"]] == list(reversed(runs))
            assert [alert["stage_run_id"] for alert in context["regression_alerts"]] == [runs[2]]
            assert context["regression_alerts"][0]["delta"] == -0.2
            assert error(await client.call_tool("get_experiment_context", {"workspace": "w2"}))["code"] == "not_found"

            for tool in ("status", "dashboard"):
                answer = ok(await client.call_tool(tool, {}))
                assert "by_workspace" in answer["blocks"]["pending_finalization"], answer
                assert len(answer["recent_outcomes"]) == 3 and answer["alerts"]["failed_recent"] == []
            status = ok(await client.call_tool("status", {}))
            assert "## Experiment Summary" in status["state_md"] and "@best-1" in status["state_md"], status["state_md"]

            (slot / "extra.txt").write_text("removed by the rollback\n")
            back = ok(await client.call_tool("rollback", {"slot": "w1", "version": "v1", "reason": REASON}))
            assert "extra.txt" in back["files_reverted"] and "modules/hello.py" in back["files_reverted"]
            assert {"path": "extra.txt", "status": "deleted"} in back["changes"]

            slept = ok(await client.call_tool("hibernate", {"slot": "w1", "reason": REASON}))
            again = ok(await client.call_tool("mount", {"workspace": "exp", "slot": "w2", "reason": REASON}))
            assert again["experiment_context"]["current_best"]["tag"] == "best-1"
            assert again["last_checkpoint"]["version"] == slept["version"]
    run(main())
