"""The full agent session of issue 5, driven by the official MCP client over stdio."""
from pathlib import Path

from jsonschema import Draft202012Validator

from conftest import EXAMPLE, SPEC, copy_example, field, goldfish, ok, run, session

REASON = "testing the MCP server end to end"
EXPECTED = {
    "status", "create_workspace", "mount", "hibernate", "save_version", "rollback", "diff", "inspect_workspace",
    "delete_workspace", "list_workspaces", "manage_versions", "run", "wait", "inspect_run", "logs", "cancel",
    "list_runs", "register_source", "list_sources", "get_source", "delete_source", "manage_sources", "lineage",
    "log_thought", "validate_pipeline", "get_config", "list_plugins", "goldfish_version",
    "get_lineage", "get_workspace_thoughts", "dashboard", "get_debug_info", "validate_config", "reload_config",
    "initialize_project", "warm_pool_status", "warm_pool_cleanup", "list_history",
}


def test_every_tool_has_valid_input_and_output_schemas(project: Path):
    async def main():
        async with session(project) as client:
            tools = (await client.list_tools()).tools
            names = {tool.name for tool in tools}
            assert EXPECTED <= names, EXPECTED - names
            for tool in tools:
                assert tool.description, tool.name
                input_schema = field(tool, "input_schema", "inputSchema")
                output_schema = field(tool, "output_schema", "outputSchema")
                Draft202012Validator.check_schema(input_schema)
                assert input_schema["type"] == "object"
                assert output_schema is not None, tool.name
                Draft202012Validator.check_schema(output_schema)
    run(main())


def test_full_session(project: Path):
    async def main():
        async with session(project) as client:
            status = ok(await client.call_tool("status", {}))
            assert status["project_name"] == "proj"
            assert any("create_workspace" in step for step in status["next_steps"])

            created = ok(await client.call_tool("create_workspace", {"name": "line", "goal": "fit a line to points", "reason": REASON}))
            assert created["workspace"] == "line"
            mounted = ok(await client.call_tool("mount", {"workspace": "line", "slot": "w1", "reason": REASON}))
            slot = Path(mounted["path"])
            assert slot.is_dir() and mounted["state_md"]
            copy_example(slot)

            source = ok(await client.call_tool("register_source", {
                "name": "points", "gcs_path": str(EXAMPLE / "points.csv"),
                "description": "200 noisy points on a line", "reason": REASON}))
            assert source["source"]["name"] == "points"
            assert ok(await client.call_tool("list_sources", {}))["total"] == 1

            check = ok(await client.call_tool("validate_pipeline", {"workspace": "w1"}))
            assert check["valid"], check
            dry = ok(await client.call_tool("run", {"workspace": "w1", "dry_run": True}))
            assert dry["valid"] and dry["stages_to_run"] == ["preprocess", "train", "evaluate"]

            started = ok(await client.call_tool("run", {
                "workspace": "w1", "reason": {"description": "run the sample pipeline", "hypothesis": "it fits"},
                "config_override": {"train": {"epochs": 50}}, "results_spec": SPEC, "wait": True,
                "wait_timeout_seconds": 240}))
            assert started["finished"], started
            assert started["status"] == "completed", started
            stage_runs = {run["stage"]: run for run in started["stage_runs"]}
            assert set(stage_runs) == {"preprocess", "train", "evaluate"}
            # Every stage succeeded and awaits finalization; the pipeline run itself is completed.
            assert all(run["state"] == "awaiting_user_finalization" for run in stage_runs.values())

            progress = []
            async def on_progress(done, total, message):
                progress.append((done, total, message))
            waited = await client.call_tool(
                "wait", {"run_id": started["pipeline_run_id"], "timeout_seconds": 5}, progress_callback=on_progress)
            assert ok(waited)["finished"] and ok(waited)["status"] == "completed"
            assert progress and progress[-1][0] == 3, progress

            train = stage_runs["train"]["stage_run_id"]
            logs = ok(await client.call_tool("logs", {"run_id": train, "tail": 50}))
            assert logs["logs"].strip() and logs["complete"]
            inspected = ok(await client.call_tool("inspect_run", {"run_id": train}))
            assert inspected["state"] == "awaiting_user_finalization" and inspected["outputs"], inspected
            waited_stage = ok(await client.call_tool("wait", {"run_id": train, "timeout_seconds": 30}))
            assert waited_stage["finished"] and waited_stage["status"] == "awaiting_user_finalization", waited_stage
            assert inspected["config"]["epochs"] == 50, inspected["config"]

            lineage = ok(await client.call_tool("lineage", {"run_id": stage_runs["evaluate"]["stage_run_id"]}))
            datasets = str(lineage)
            assert "points" in datasets and lineage["outputs"]

            runs = ok(await client.call_tool("list_runs", {"workspace": "w1"}))
            assert runs["total"] == 3
            ok(await client.call_tool("log_thought", {"thought": "the line fits; try fewer epochs next", "workspace": "w1"}))
            thoughts = ok(await client.call_tool("get_workspace_thoughts", {"workspace": "line"}))
            assert thoughts["total"] == 1 and "fewer epochs" in thoughts["thoughts"][0]["thought"]

            downstream = ok(await client.call_tool("get_lineage", {"run_id": stage_runs["preprocess"]["stage_run_id"]}))
            assert {c["stage"] for c in downstream["consumers"]} == {"train", "evaluate"}, downstream
            upstream = ok(await client.call_tool(
                "get_lineage", {"run_id": stage_runs["evaluate"]["stage_run_id"], "direction": "upstream"}))
            assert {p["stage"] for p in upstream["producers"]} == {"preprocess", "train"}, upstream
            backend = ok(await client.call_tool("reload_config", {}))["jobs_backend"]
            debug = ok(await client.call_tool("get_debug_info", {"ref": train}))
            assert debug["backend_type"] == backend and debug["backend_handle"]["run_id"] == train
            board = ok(await client.call_tool("dashboard", {}))
            assert board["workspaces"]["mounted"][0]["name"] == "line" and board["recent_outcomes"]
            config = ok(await client.call_tool("validate_config", {"workspace": "w1"}))
            assert config["valid"], config
            assert backend in ("process", "docker")
            history = ok(await client.call_tool("inspect_workspace", {"name": "line"}))
            assert history["lineage"]["version_count"] >= 1

            slept = ok(await client.call_tool("hibernate", {"slot": "w1", "reason": REASON}))
            assert slept["workspace"] == "line"
            final = ok(await client.call_tool("status", {}))
            assert all(slot["workspace"] is None for slot in final["slots"])
            assert len(final["recent_runs"]) == 3
            assert "fewer epochs" in final["state_md"]
    run(main())


def test_two_servers_and_the_cli_share_one_project(project: Path):
    async def main():
        async with session(project) as first, session(project) as second:
            ok(await first.call_tool("create_workspace", {"name": "shared", "goal": "seen by all", "reason": REASON}))
            listed = ok(await second.call_tool("list_workspaces", {}))
            assert [w["name"] for w in listed["workspaces"]] == ["shared"]
            ok(await second.call_tool("mount", {"workspace": "shared", "slot": "w2", "reason": REASON}))
            status = ok(await first.call_tool("status", {}))
            assert {s["slot"]: s["workspace"] for s in status["slots"]}["w2"] == "shared"
        cli = goldfish("workspace", "list", "--json", cwd=project)
        assert '"shared"' in cli.stdout
    run(main())


def test_warm_pool_tools_report_the_pool(project: Path):
    async def main():
        async with session(project) as client:
            status = ok(await client.call_tool("warm_pool_status", {}))
            # init picks docker when an engine answers (CI starts one), else process.
            backend = (project / "goldfish.yaml").read_text().split("backend: ", 1)[1].split()[0]
            assert status["backend"] == backend and status["total"] == 0
            assert status["enabled"] is False and "warm_pool.enabled" in status["message"]
            assert set(status["by_state"]) == {"launching", "busy", "draining", "idle_ready", "deleting", "gone"}
            cleanup = ok(await client.call_tool("warm_pool_cleanup", {"reason": "nothing to clean yet"}))
            assert cleanup == {
                "success": True, "deleted": [], "deletion_pending": [], "skipped": [], "remaining": 0,
                "remaining_instances": [],
            }
            assert ok(await client.call_tool("status", {}))["warm_pool"]["idle_ready"] == 0
    run(main())
