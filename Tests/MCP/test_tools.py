"""The last upstream tools through the official client: search_goldfish_logs, manage_base_images,
get_build_status, and the utility tools' upstream keys (initialize_project switching a server
that had no project, reload_config, get_workspace_thoughts, goldfish_version).

Runs are started with the CLI; the tools are called over MCP in upstream's names, and the client
checks every result against the tool's output schema. Image builds on a real engine are in
Tests/DockerTests/ImageBuildTests.swift: here the project runs on the process backend, which
builds no images, and the refusals say so."""
import contextlib
import json
import os
import subprocess
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import error, goldfish, goldfish_binary, ok, run, session

REASON = "testing the last upstream tools"
PIPELINE = "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n"


def prepared(client_project: Path, slot: Path, module: str) -> None:
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "pipeline.yaml").write_text(PIPELINE)
    (slot / "modules" / "hello.py").write_text(module)


def test_search_goldfish_logs_finds_run_output_failures_and_journal(project: Path):
    async def main():
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "logs", "goal": "logs to search", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "logs", "slot": "w1", "reason": REASON}))["path"])
            prepared(project, slot, "print('hello from the first run')\n")
            goldfish("run", "w1", "--reason", REASON, "--wait", cwd=project)
            prepared(project, slot, "import sys\nprint('about to fail')\nprint('ERROR: no data left')\nsys.exit(2)\n")
            subprocess.run([goldfish_binary(), "run", "w1", "--reason", REASON, "--wait", "--rerun"], cwd=project,
                           capture_output=True, text=True)

            found = ok(await client.call_tool("search_goldfish_logs", {"text": "hello from"}))
            assert [e["source"] for e in found["entries"]] == ["run"], found
            first = found["entries"][0]
            assert first["stage"] == "hello" and first["workspace"] == "logs" and first["run_id"].startswith("stage-")

            failures = ok(await client.call_tool("search_goldfish_logs", {"level": "error", "workspace": "w1"}))
            messages = [e["message"] for e in failures["entries"]]
            assert any("no data left" in m for m in messages), messages
            # The plain line is not an error (the failed transition quotes the output's end, so only run lines count).
            assert not any(e["source"] == "run" and "about to fail" in e["message"] for e in failures["entries"])
            assert all(e["level"] in ("error", "critical") for e in failures["entries"])

            one_run = ok(await client.call_tool("search_goldfish_logs", {"run_id": first["run_id"], "limit": 1000}))
            assert one_run["entries"] and all(e["run_id"] == first["run_id"] for e in one_run["entries"])
            journal = ok(await client.call_tool("search_goldfish_logs", {
                "sources": ["audit"], "workspace": "logs", "order": "oldest"}))
            assert journal["entries"][0]["logger"] == "create_workspace", journal["entries"][0]
            page = ok(await client.call_tool("search_goldfish_logs", {"limit": 1}))
            assert len(page["entries"]) == 1 and page["truncated"] and page["matched"] > 1

            refused = error(await client.call_tool("search_goldfish_logs", {"query": "_time:5m error"}))
            assert refused["code"] == "invalid_argument" and "LogsQL" in refused["message"]
            bad = error(await client.call_tool("search_goldfish_logs", {"regex": "([a-z"}))
            assert bad["code"] == "invalid_argument"

    run(main())
    # The CLI face: `goldfish logs search`, next to `goldfish logs RUN`, which still prints a run's output.
    searched = json.loads(goldfish("logs", "search", "hello from", "--json", cwd=project).stdout)
    run_id = searched["entries"][0]["run_id"]
    assert "hello from the first run" in goldfish("logs", run_id, cwd=project).stdout
    plain = goldfish("logs", "search", "--level", "error", "--sources", "run", cwd=project).stdout
    assert "no data left" in plain and "[run]" in plain


def test_image_tools_answer_honestly_without_an_image_builder(project: Path):
    # init picks docker when an engine answers (as in CI); this test is about the process backend.
    config = project / "goldfish.yaml"
    text = config.read_text()
    config.write_text(text.replace("  backend: docker\n", "  backend: process\n", 1))
    assert "  backend: process\n" in config.read_text()

    async def main():
        async with session(project) as client:
            listed = error(await client.call_tool("manage_base_images", {"action": "list"}))
            assert listed["code"] == "service_unsupported" and "without images" in listed["message"], listed
            for action in ("set_version", "list_versions", "next_version"):
                versions = error(await client.call_tool("manage_base_images", {"action": action, "version": "v3"}))
                assert versions["code"] == "service_unsupported" and "hash of their recipe" in versions["message"]
            cloud = error(await client.call_tool("manage_base_images", {"action": "build", "backend": "cloud"}))
            assert cloud["code"] == "service_unsupported" and "Cloud Build" in cloud["message"]
            no_cache = error(await client.call_tool("manage_base_images", {"action": "build", "no_cache": True}))
            assert no_cache["code"] == "service_unsupported"
            unknown = error(await client.call_tool("manage_base_images", {"action": "publish"}))
            assert unknown["code"] == "invalid_argument"
            missing = error(await client.call_tool("get_build_status", {"build_id": "build-000000000000"}))
            assert missing["code"] == "not_found" and "build-000000000000" in missing["message"]

    run(main())


@contextlib.asynccontextmanager
async def projectless_session(cwd: Path):
    params = StdioServerParameters(
        command=goldfish_binary(), args=["serve"], env={**os.environ, "GOLDFISH_LOG_LEVEL": "warning"}, cwd=str(cwd))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            yield client


def test_initialize_project_makes_a_projectless_server_serve_it(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()

    async def main():
        async with projectless_session(outside) as client:
            none = error(await client.call_tool("status", {}))
            assert none["code"] == "config_not_found"
            created = ok(await client.call_tool("initialize_project", {
                "project_name": "fresh", "project_root": str(tmp_path / "fresh")}))
            assert created["serving"] is True and created["dev_repo"].endswith("versions.git"), created
            assert Path(created["dev_repo"]).is_dir()
            reloaded = ok(await client.call_tool("reload_config", {}))
            assert reloaded["project_name"] == "fresh" and reloaded["gce_project"] is None, reloaded
            assert "gce_artifact_registry" in reloaded
            ok(await client.call_tool("create_workspace", {"name": "notes", "goal": "thoughts", "reason": REASON}))
            ok(await client.call_tool("log_thought", {"thought": "the baseline underfits badly", "workspace": "notes"}))
            thoughts = ok(await client.call_tool("get_workspace_thoughts", {"workspace": "notes"}))
            assert thoughts["total"] == 1 and thoughts["thoughts"][0]["thought"] == "the baseline underfits badly"
            assert "run_id" in thoughts["thoughts"][0]
            valid = ok(await client.call_tool("validate_config", {}))
            assert valid["valid"] and valid["files_checked"] == ["goldfish.yaml"]
            version = ok(await client.call_tool("goldfish_version", {}))["version"]
            assert version and version in goldfish("--version").stdout

    run(main())
    listed = goldfish("thoughts", "notes", cwd=tmp_path / "fresh").stdout
    assert "the baseline underfits badly" in listed and "1 of 1 thoughts" in listed
