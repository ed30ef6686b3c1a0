"""Long work: run returns at once, wait is bounded, the loop stays free, cancellation works."""
from pathlib import Path

import anyio

from conftest import SPEC, ok, run, session

REASON = "checking how long runs are handled"
PIPELINE = """name: pipeline
stages:
  - name: slow
    outputs:
      done: {type: file, schema: null}
"""


def test_wait_is_bounded_the_server_stays_responsive_and_cancel_stops_the_run(project: Path):
    async def main():
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "slow", "goal": "sleep for a while", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "slow", "slot": "w1", "reason": REASON}))["path"])
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "modules" / "slow.py").write_text("import time\ntime.sleep(120)\n")

            started = ok(await client.call_tool("run", {"workspace": "w1", "reason": REASON, "results_spec": SPEC}))
            pipeline_run = started["pipeline_run_id"]
            assert started["status"] == "started" and started["queued"][0]["stage"] == "slow"

            short = ok(await client.call_tool("wait", {"run_id": pipeline_run, "timeout_seconds": 1}))
            assert not short["finished"]

            # A long wait in flight does not hold up other calls; the client can abandon it.
            async with anyio.create_task_group() as group:
                async def long_wait():
                    with anyio.move_on_after(3):
                        await client.call_tool("wait", {"run_id": pipeline_run, "timeout_seconds": 600})
                group.start_soon(long_wait)
                await anyio.sleep(0.5)
                with anyio.fail_after(10):
                    status = ok(await client.call_tool("status", {}))
                assert any(line["id"] == started["queued"][0]["stage_run_id"] for line in status["active_runs"])

            canceled = ok(await client.call_tool("cancel", {"run_id": pipeline_run, "reason": REASON}))
            assert canceled["success"] and canceled["canceled"]
            ended = ok(await client.call_tool("wait", {"run_id": pipeline_run, "timeout_seconds": 60}))
            assert ended["finished"], ended
            assert ended["stage_runs"][0]["state"] == "canceled", ended
    run(main())
