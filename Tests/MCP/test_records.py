"""Experiment records through the official client: finalize, compare, tag, inspect, history, versions.

Runs are started with the CLI (which no finalization gate or required spec stops); the records
tools are called over MCP in upstream's names and parameters, and the client checks every result
against the tool's output schema."""
from pathlib import Path

from conftest import error, goldfish, ok, run, session

REASON = "testing the records an agent keeps"
PIPELINE = "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n"


def results(value: float) -> dict:
    return {"primary_metric": "val_loss", "direction": "minimize", "value": value, "dataset_split": "val",
            "ml_outcome": "success", "notes": "validation loss of the hello stage"}


def test_finalize_compare_tag_and_list_in_upstream_terms(project: Path):
    async def main():
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "recs", "goal": "records to read", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "recs", "slot": "w1", "reason": REASON}))["path"])
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules" / "hello.py").write_text("print('hello')\n")
            for rate in ("0.1", "0.01"):
                (slot / "modules" / "hello.py").write_text(f"print('hello at {rate}')\n")
                goldfish("run", "w1", "--reason", REASON, "--wait", "--rerun", "--config", f"lr={rate}", cwd=project)
            runs = ok(await client.call_tool("list_history", {"workspace": "w1", "record_type": "run", "desc": False}))
            first, second = [record["stage_run_id"] for record in runs["records"]]

            refused = error(await client.call_tool("finalize_run", {
                "record_or_run_id": first, "results": {**results(0.5), "valeu": 1}}))
            assert refused["code"] == "invalid_argument" and "valeu" in refused["message"], refused
            one = ok(await client.call_tool("finalize_run", {"record_or_run_id": first, "results": results(0.5)}))
            assert one["results_status"] == "finalized" and one["comparison"]["vs_previous"] is None
            two = ok(await client.call_tool("finalize_run", {"record_or_run_id": second, "results": results(0.4)}))
            assert two["comparison"]["vs_previous"]["record"] == one["record_id"]
            assert two["comparison"]["vs_previous"]["delta"] == -0.1
            assert two["comparison"]["config_diff"]["changed"]["lr"] == {"from": 0.1, "to": 0.01}, two["comparison"]

            tagged = ok(await client.call_tool("tag_record", {"ref": second, "tag": "best-1"}))
            assert tagged["workspace_name"] == "recs" and tagged["record_type"] == "run"
            taken = error(await client.call_tool("tag_record", {"ref": first, "tag": "best-1"}))
            assert taken["code"] == "already_exists" and second in taken["message"]
            record = ok(await client.call_tool("inspect_record", {
                "ref": "@best-1", "workspace": "recs", "include": ["results", "comparison"]}))
            assert record["stage_run_id"] == second and record["results"]["results_final"]["value"] == 0.4
            assert record["comparison"]["vs_previous"]["delta"] == -0.1

            by_metric = ok(await client.call_tool("list_history", {
                "workspace": "recs", "sort_by": "metric", "finalized_only": True, "desc": False}))
            assert [r["stage_run_id"] for r in by_metric["records"]] == [second, first]
            assert by_metric["records"][0]["primary_metric"] == {"name": "val_loss", "value": 0.4}
            assert by_metric["records"][0]["tags"] == ["best-1"] and by_metric["total"] == 2
            pending = ok(await client.call_tool("list_unfinalized_runs", {"workspace": "recs"}))
            assert not {r["stage_run_id"] for r in pending["runs"]} & {first, second}

            spec = {"primary_metric": "val_loss", "direction": "minimize", "min_value": 0, "goal_value": 0.1,
                    "dataset_split": "val", "tolerance": 0.01, "context": "the loss the hello stage reaches"}
            saved = ok(await client.call_tool("save_results_spec", {
                "stage_run_id": first, "record_id": one["record_id"], "spec": spec}))
            assert saved["success"] and saved["stage_run_id"] == first

            versions = ok(await client.call_tool("manage_versions", {"workspace": "recs"}))["versions"]
            oldest = versions[-1]["version"]
            assert len(versions) >= 2, versions
            protected = error(await client.call_tool("manage_versions", {
                "workspace": "recs", "action": "prune", "version": versions[0]["version"], "reason": REASON}))
            assert protected["code"] == "invalid_argument" and "best-1" in protected["message"], protected
            pruned = ok(await client.call_tool("manage_versions", {
                "workspace": "recs", "action": "prune", "version": oldest, "reason": REASON}))
            assert pruned["success"] and pruned["result"]["changed"] == [oldest]
            listed = ok(await client.call_tool("manage_versions", {"workspace": "recs"}))["versions"]
            assert oldest not in [v["version"] for v in listed]
            neither = error(await client.call_tool("manage_versions", {"workspace": "recs", "action": "unprune"}))
            assert neither["code"] == "invalid_argument"
            back = ok(await client.call_tool("manage_versions", {
                "workspace": "recs", "action": "unprune", "from_version": oldest, "to_version": oldest}))
            assert back["result"]["changed"] == [oldest]
    run(main())
