"""Review before and during a run, and failure patterns, through the official MCP client.

The pre-run reviewer is a real command (a Python script) reading the request on stdin; the
diverging stage is a real process that logs a rising loss and polls goldfish.io's should_stop();
patterns are proposed, approved and matched on real failed runs. Reviews are read back from the
project's SQLite file, where every face reads them."""
import json
import sqlite3
import sys
from pathlib import Path

from conftest import SPEC, error, ok, run, session, without_finalization_gate

REASON = "testing the review before and during a run"
PIPELINE = "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n"

REVIEWER = """
import json, sys, time
request = json.load(sys.stdin)
module = request.get("module") or ""
if "SLOW" in module:
    time.sleep(60)
findings = []
if "BLOCK" in module:
    findings.append({"check": "banned_word", "severity": "error", "message": "the module prints a banned word",
                     "subject": "modules/hello.py"})
print(json.dumps({"findings": findings, "summary": "reviewed " + request["stage"]}))
"""


def configure(project: Path, extra: str) -> None:
    without_finalization_gate(project)
    config = project / "goldfish.yaml"
    config.write_text(config.read_text() + "\n" + extra)


def reviews(project: Path, run_id: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(project / ".goldfish" / "goldfish.db") as db:
        return db.execute(
            "SELECT review_type, decision, findings FROM svs_reviews WHERE stage_run_id = ? ORDER BY id",
            (run_id,)).fetchall()


async def start(client, slot: Path, module: str, **extra) -> dict:
    (slot / "modules" / "hello.py").write_text(module)
    return await client.call_tool("run", {
        "workspace": "w1", "reason": REASON, "results_spec": SPEC, "wait": True, "wait_timeout_seconds": 120,
        "rerun": True, **extra})


async def workspace(client, name: str) -> Path:
    ok(await client.call_tool("create_workspace", {"name": name, "goal": "check the review", "reason": REASON}))
    slot = Path(ok(await client.call_tool("mount", {"workspace": name, "slot": "w1", "reason": REASON}))["path"])
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "pipeline.yaml").write_text(PIPELINE)
    return slot


def test_reviewer_blocks_times_out_open_and_is_skipped(project: Path, tmp_path: Path):
    script = tmp_path / "reviewer.py"
    script.write_text(REVIEWER)
    configure(project, f"pre_run_review:\n  timeout_seconds: 2\n  command: [{json.dumps(sys.executable)}, {json.dumps(str(script))}]\n")

    async def main():
        async with session(project) as client:
            slot = await workspace(client, "reviewed")
            blocked = error(await start(client, slot, "print('BLOCK')\n"))
            assert blocked["code"] == "review_blocked", blocked
            assert "stage hello: the module prints a banned word" in blocked["message"], blocked
            assert ok(await client.call_tool("list_runs", {"workspace": "w1"}))["total"] == 0

            slow = ok(await start(client, slot, "print('SLOW')\n"))
            assert slow["status"] == "completed", slow
            slow_run = slow["stage_runs"][0]["stage_run_id"]
            kinds = reviews(project, slow_run)
            assert [(kind, decision) for kind, decision, _ in kinds] == [("preflight", "approved"), ("pre_run", "error")]
            assert "timeout_seconds (2 s)" in kinds[1][2], kinds

            skipped = ok(await start(client, slot, "print('BLOCK')\n", skip_review=True))
            assert skipped["status"] == "completed", skipped
            kinds = reviews(project, skipped["stage_runs"][0]["stage_run_id"])
            assert [(kind, decision) for kind, decision, _ in kinds] == [("preflight", "approved"), ("pre_run", "skipped")]

            fine = ok(await start(client, slot, "print('hello')\n"))
            kinds = reviews(project, fine["stage_runs"][0]["stage_run_id"])
            assert [(kind, decision) for kind, decision, _ in kinds] == [("preflight", "approved"), ("pre_run", "approved")]

            broken = error(await start(client, slot, "def broken(:\n"))
            assert broken["code"] == "preflight_failed" and "modules/hello.py does not compile" in broken["message"]
            dry = ok(await client.call_tool("run", {"workspace": "w1", "dry_run": True}))
            assert not dry["valid"] and any("does not compile" in e["message"] for e in dry["validation_errors"]), dry

    run(main())


DIVERGING = """
import time
from goldfish.io import flush_metrics, log_metric, should_stop

loss = 1.0
for step in range(600):
    if should_stop():
        print("stopping on request at step", step)
        break
    log_metric("loss", loss, step=step)
    flush_metrics()
    loss *= 1.5
    time.sleep(0.1)
"""


def test_metric_health_stops_a_diverging_stage(project: Path):
    configure(project, "svs:\n  metric_health_auto_stop: true\n  metric_health_divergence_points: 3\n")

    async def main():
        async with session(project) as client:
            slot = await workspace(client, "diverging")
            ended = ok(await start(client, slot, DIVERGING))
            stage_run = ended["stage_runs"][0]
            assert stage_run["state"] == "terminated", ended
            assert "stopped on request (metric health: metric loss diverges" in stage_run["error"], stage_run
            detail = ok(await client.call_tool("inspect_run", {"run_id": stage_run["stage_run_id"]}))
            assert detail["termination_cause"] == "ai_stop" and stage_run["termination_cause"] == "ai_stop", detail
            logs = ok(await client.call_tool("logs", {"run_id": stage_run["stage_run_id"]}))
            assert "stopping on request at step" in logs["logs"]
            kinds = reviews(project, stage_run["stage_run_id"])
            assert ("during_run", "warned") in [(kind, decision) for kind, decision, _ in kinds], kinds

    run(main())


def test_a_pattern_is_proposed_approved_and_matched_on_a_new_failed_run(project: Path):
    configure(project, "")

    async def main():
        async with session(project) as client:
            slot = await workspace(client, "patterns")
            failing = "import sys\nsys.exit('shard {} is corrupt: bad magic number')\n"
            first = ok(await start(client, slot, failing.format(7)))["stage_runs"][0]
            assert first["state"] == "failed", first
            librarian = ok(await client.call_tool("manage_patterns", {"action": "review"}))
            assert librarian["reviewed"] is False and "no AI librarian" in librarian["message"]
            refused = error(await client.call_tool("manage_patterns", {
                "action": "propose", "source_run_id": first["stage_run_id"], "symptom": "hello dies of memory",
                "root_cause": "batch too large", "rule": {"kind": "log_regex", "pattern": "out of memory"}}))
            assert refused["code"] == "pattern_not_matching", refused
            proposed = ok(await client.call_tool("manage_patterns", {
                "action": "propose", "source_run_id": first["stage_run_id"], "symptom": "hello dies reading a shard",
                "root_cause": "a corrupt shard in the data", "prevention": "verify shards when registering the source",
                "severity": "HIGH", "rule": {"kind": "log_regex", "pattern": r"shard \d+ is corrupt"}}))
            pattern = proposed["pattern"]
            assert pattern["status"] == "pending" and "shard 7 is corrupt" in proposed["evidence"]
            ok(await client.call_tool("manage_patterns", {"action": "approve", "pattern_id": pattern["id"]}))
            listed = ok(await client.call_tool("manage_patterns", {"action": "list", "status": "approved"}))
            assert [p["id"] for p in listed["patterns"]] == [pattern["id"]]

            second = ok(await start(client, slot, failing.format(3)))["stage_runs"][0]
            detail = ok(await client.call_tool("inspect_run", {"run_id": second["stage_run_id"]}))
            assert [m["pattern_id"] for m in detail["pattern_matches"]] == [pattern["id"]], detail
            assert "shard 3 is corrupt" in detail["pattern_matches"][0]["evidence"]
            record = ok(await client.call_tool("inspect_record", {"ref": second["stage_run_id"]}))
            assert [m["pattern_id"] for m in record["pattern_matches"]] == [pattern["id"]], record
            shown = ok(await client.call_tool("manage_patterns", {"action": "get", "pattern_id": pattern["id"]}))
            assert [m["stage_run_id"] for m in shown["matches"]] == [second["stage_run_id"]]
            rejected = ok(await client.call_tool("manage_patterns", {
                "action": "reject", "pattern_id": pattern["id"], "reason": "the shards were fixed upstream"}))
            assert rejected["pattern"]["status"] == "rejected"

    run(main())


LOOPING = """
import time
from goldfish.io import should_stop

for step in range(1200):
    if should_stop():
        print("stopping on request at step", step)
        break
    print("step", step, flush=True)
    time.sleep(0.1)
"""


def test_the_agent_asks_its_run_to_stop(project: Path):
    configure(project, "")

    async def main():
        async with session(project) as client:
            slot = await workspace(client, "stoppable")
            (slot / "modules" / "hello.py").write_text(LOOPING)
            started = ok(await client.call_tool("run", {"workspace": "w1", "reason": REASON, "results_spec": SPEC}))
            run_id = started["queued"][0]["stage_run_id"]
            refused = error(await client.call_tool("request_stop", {"run_id": run_id, "reason": "too short"}))
            assert refused["code"] == "reason_too_short", refused
            state = None
            while state != "running":  # bounded by the stage's own length: it ends on its own otherwise
                state = ok(await client.call_tool("wait", {"run_id": run_id, "timeout_seconds": 1}))["status"]
                assert state in ("preparing", "building", "launching", "running"), state
            asked = ok(await client.call_tool("request_stop", {
                "run_id": run_id, "reason": "the loss curve already answered the question"}))
            assert asked["requested"] is True and asked["stop_requested_at"]
            again = ok(await client.call_tool("request_stop", {
                "run_id": run_id, "reason": "the loss curve already answered the question"}))
            assert again["requested"] is False
            ended = ok(await client.call_tool("wait", {"run_id": run_id, "timeout_seconds": 120}))
            assert ended["finished"] and ended["status"] == "terminated", ended
            detail = ok(await client.call_tool("inspect_run", {"run_id": run_id}))
            assert detail["termination_cause"] == "ai_stop", detail
            assert "agent: the loss curve already answered the question" in detail["error"], detail

    run(main())
