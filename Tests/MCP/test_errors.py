"""Failures are isError results with a stable code, a message and a hint: never a crash."""
import subprocess
from pathlib import Path

from conftest import REPO, error, field, ok, run, session


def test_wrong_arguments_unknown_tools_and_unknown_runs(project: Path):
    async def main():
        async with session(project) as client:
            missing = error(await client.call_tool("create_workspace", {"name": "x"}))
            assert missing["code"] == "invalid_argument" and "goal" in missing["message"]
            unknown = error(await client.call_tool("mount", {"workspace": "x", "slot": "w1", "reason": "r" * 20, "colour": 1}))
            assert unknown["code"] == "invalid_argument" and "colour" in unknown["message"] and "slot" in unknown["hint"]
            typed = error(await client.call_tool("logs", {"run_id": "stage-1", "tail": "ten"}))
            assert typed["code"] == "invalid_argument" and "integer" in typed["message"]
            short = error(await client.call_tool("create_workspace", {"name": "x", "goal": "g", "reason": "short"}))
            assert short["hint"] or short["message"]
            tool = error(await client.call_tool("launch_rockets", {}))
            assert tool["code"] == "unknown_tool" and "status" in tool["hint"]
            nothing = error(await client.call_tool("inspect_run", {"run_id": "stage-deadbeef"}))
            assert nothing["code"] == "not_found"
            empty = error(await client.call_tool("hibernate", {"slot": "w1", "reason": "freeing a slot that is empty"}))
            assert empty["message"]
            # The server still answers after every failure.
            assert ok(await client.call_tool("goldfish_version", {}))["version"]
    run(main())


def test_a_missing_project_is_reported_by_each_tool(tmp_path: Path):
    async def main():
        async with session(tmp_path / "nowhere") as client:
            failure = error(await client.call_tool("status", {}))
            assert failure["code"] == "config_not_found"
            assert "goldfish init" in failure["hint"]
            assert ok(await client.call_tool("goldfish_version", {}))["version"]
    run(main())


def test_a_plugin_that_prints_to_stdout_does_not_break_the_session(project: Path, tmp_path: Path):
    plugins = tmp_path / "plugins"
    subprocess.run(["bash", str(REPO / "Tests/Fixtures/plugins/build.sh"), str(plugins)], check=True)
    config = project / "goldfish.yaml"
    config.write_text(config.read_text() + f"\nplugins:\n  paths: [{plugins / 'libstdout_print.so'}]\n")

    async def main():
        async with session(project) as client:
            for _ in range(3):
                ok(await client.call_tool("status", {}))
            listed = ok(await client.call_tool("list_plugins", {}))
            # Loading it printed to fd 1, which is stderr in the server: the wire stayed clean and the
            # plugin is refused with a reason an author can act on.
            refused = [entry for entry in listed["refused"] if "stdout_print" in str(entry)]
            assert refused and "stdout" in str(refused[0]), listed
    run(main())


def test_initialize_project_creates_one_and_refuses_to_overwrite(tmp_path: Path):
    """A server started where no project exists yet can create one, then use it."""
    root = tmp_path / "fresh"
    async def main():
        async with session(root) as client:
            missing = await client.call_tool("status", {})
            assert field(missing, "is_error", "isError")
            created = ok(await client.call_tool("initialize_project", {"project_name": "fresh", "project_root": str(root)}))
            assert created["success"] and (root / "goldfish.yaml").exists()
            assert ok(await client.call_tool("status", {}))["project_name"] == "fresh"
            again = await client.call_tool("initialize_project", {"project_name": "fresh", "project_root": str(root)})
            assert field(again, "is_error", "isError")
            assert "nothing was changed" in again.content[0].text
    run(main())


def test_hostile_sizes_and_numbers_get_small_errors_and_the_session_goes_on(project: Path):
    """Issue #12 item 7 through the official client: a 10 MB request line, a huge integer and a
    1 MB name each get an error the client can read, and the same session keeps working."""
    from mcp.shared import exceptions

    rpc_error = getattr(exceptions, "MCPError", None) or getattr(exceptions, "McpError")

    async def main():
        async with session(project) as client:
            try:
                await client.call_tool("log_thought", {"thought": "x" * (10 << 20)})
                raise AssertionError("a 10 MB request was accepted")
            except rpc_error as refused:
                # The answer carries the request's id, so the client matched it to this call.
                assert "8388608 bytes" in str(refused), refused
            huge = error(await client.call_tool("list_runs", {"limit": 10**30}))
            assert huge["code"] == "invalid_argument" and "from 1 to 200" in huge["message"], huge
            long_name = error(await client.call_tool("inspect_workspace", {"name": "n" * (1 << 20)}))
            assert len(str(long_name)) < 4096 and "(1048576 characters)" in str(long_name), len(str(long_name))
            assert ok(await client.call_tool("goldfish_version", {}))["version"]
    run(main())
