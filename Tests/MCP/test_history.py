"""list_history: a workspace's runs and checkpoints, newest first, one page at a time."""
from pathlib import Path

from conftest import SPEC, error, ok, run, session, without_finalization_gate

REASON = "testing the history an agent reads back"
PIPELINE = "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n"


def test_history_lists_runs_and_checkpoints_newest_first_in_pages(project: Path):
    async def main():
        # Two runs in a row, neither finalized: the history, not the gate, is what is tested here.
        without_finalization_gate(project)
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "hist", "goal": "a history to read", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "hist", "slot": "w1", "reason": REASON}))["path"])
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules" / "hello.py").write_text("print('first')\n")
            saved = ok(await client.call_tool("save_version", {"slot": "w1", "message": "the first hello stage"}))
            run_ids = []
            for text in ("second", "third"):
                (slot / "modules" / "hello.py").write_text(f"print('{text}')\n")
                started = ok(await client.call_tool("run", {
                    "workspace": "w1", "reason": REASON, "results_spec": SPEC, "wait": True, "wait_timeout_seconds": 120}))
                assert started["status"] == "completed", started
                run_ids += [stage["stage_run_id"] for stage in started["stage_runs"]]

            everything = ok(await client.call_tool("list_history", {"workspace": "w1"}))
            assert everything["workspace"] == "hist"
            records = everything["records"]
            assert everything["total"] == len(records) and not everything["has_more"]
            runs = [record for record in records if record["record_type"] == "run"]
            assert [record["stage_run_id"] for record in runs] == list(reversed(run_ids))
            assert all(record["stage"] == "hello" and record["state"] == "awaiting_user_finalization" for record in runs)
            checkpoints = [record for record in records if record["record_type"] == "checkpoint"]
            assert saved["version"] in {record["version"] for record in checkpoints}
            assert all(record["stage_run_id"] is None and record["stage"] is None for record in checkpoints)
            stamps = [record["created_at"] for record in records]
            assert stamps == sorted(stamps, reverse=True)
            assert all(record["age"].endswith("ago") for record in records)

            pages, offset = [], 0
            while True:
                page = ok(await client.call_tool("list_history", {"workspace": "hist", "limit": 1, "offset": offset}))
                assert page["total"] == everything["total"]
                pages += page["records"]
                offset += len(page["records"])
                if not page["has_more"]:
                    break
            assert [record["record_id"] for record in pages] == [record["record_id"] for record in records]

            only_runs = ok(await client.call_tool("list_history", {"workspace": "hist", "record_type": "run"}))
            assert only_runs["total"] == 2 and [r["record_id"] for r in only_runs["records"]] == [r["record_id"] for r in runs]
            oldest = ok(await client.call_tool("list_history", {"workspace": "hist", "record_type": "run", "desc": False}))
            assert [r["stage_run_id"] for r in oldest["records"]] == run_ids
            other_stage = ok(await client.call_tool("list_history", {"workspace": "hist", "stage": "train"}))
            assert other_stage["total"] == 0 and other_stage["records"] == []
            only_checkpoints = ok(await client.call_tool("list_history", {"workspace": "hist", "record_type": "checkpoint"}))
            assert only_checkpoints["total"] == len(checkpoints)

            missing = error(await client.call_tool("list_history", {"workspace": "nobody"}))
            assert missing["code"] == "not_found"
    run(main())
