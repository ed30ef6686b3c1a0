"""A storage plugin that crashes while `goldfish serve` runs: isolated, the server stays up."""
import subprocess
from pathlib import Path

from conftest import REPO, SPEC, ok, run, session

REASON = "checking that a crashing plugin is contained"
PIPELINE = """name: pipeline
stages:
  - name: quick
    outputs:
      done: {type: file, schema: null}
"""
STAGE = """from goldfish.io import get_output_path, save_output
with open(get_output_path("done"), "w") as handle:
    handle.write("done")
save_output("done", get_output_path("done"))
"""


def test_a_storage_plugin_that_crashes_under_isolation_does_not_end_the_server(project: Path, tmp_path: Path):
    plugins = tmp_path / "plugins"
    subprocess.run(["bash", str(REPO / "Tests/Fixtures/plugins/build.sh"), str(plugins)], check=True)
    config = project / "goldfish.yaml"
    text = config.read_text()
    assert "storage:\n  backend: file" in text, text
    text = text.replace("storage:\n  backend: file", "storage:\n  backend: crashstore")
    config.write_text(
        text + f"\nplugins:\n  paths: [{plugins / 'libcrash_storage.so'}]\n  isolation: {{crashstore: process}}\n")

    async def main():
        async with session(project) as client:
            listed = ok(await client.call_tool("list_plugins", {}))
            assert "crash-storage" in str(listed), listed
            ok(await client.call_tool("create_workspace", {"name": "crashy", "goal": "store an output", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "crashy", "slot": "w1", "reason": REASON}))["path"])
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "modules" / "quick.py").write_text(STAGE)

            ended = ok(await client.call_tool(
                "run", {"workspace": "w1", "reason": REASON, "results_spec": SPEC, "wait": True,
                        "wait_timeout_seconds": 120}))
            assert ended["finished"], ended
            assert ended["stage_runs"][0]["state"] not in {"completed", "awaiting_user_finalization"}, ended
            run_id = ended["stage_runs"][0]["stage_run_id"]
            inspected = ok(await client.call_tool("inspect_run", {"run_id": run_id}))
            # The run says which plugin failed and how.
            assert "crash-storage" in str(inspected) and "SIGSEGV" in str(inspected), inspected

            # The server is still there, and a second crash is contained as well.
            ok(await client.call_tool("status", {}))
            debug = ok(await client.call_tool("get_debug_info", {"ref": run_id}))
            assert debug["log_uri"] is None, debug
            ok(await client.call_tool("status", {}))
    run(main())
