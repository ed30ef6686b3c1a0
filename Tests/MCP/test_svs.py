"""Output contracts (SVS) through the official client: a stage declaring shape [3] float32 that saves
an int64 array of 5. Blocking fails the run (svs_block) with the finding as its error; warning lets it
complete with the finding in its reviews, its inspection, STATE.md and its record's comparison."""
import json
from pathlib import Path

from conftest import SPEC, goldfish, ok, run, session

REASON = "testing the output contracts of a stage"
PIPELINE = """name: pipeline
stages:
  - name: make
    outputs:
      features: {type: npy, schema: {kind: tensor, shape: ["{n}"], dtype: float32}}
"""
STAGE = """import numpy as np
from goldfish.io import save_output
save_output("features", np.arange(5))
"""


def setup(project: Path, enforcement: str) -> None:
    config = project / "goldfish.yaml"
    config.write_text(config.read_text() + f"\nsvs:\n  default_enforcement: {enforcement}\n")


async def start(client, project: Path) -> dict:
    ok(await client.call_tool("create_workspace", {"name": "svs", "goal": "outputs that keep their contract", "reason": REASON}))
    slot = Path(ok(await client.call_tool("mount", {"workspace": "svs", "slot": "w1", "reason": REASON}))["path"])
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "configs").mkdir(exist_ok=True)
    (slot / "pipeline.yaml").write_text(PIPELINE)
    (slot / "modules" / "make.py").write_text(STAGE)
    (slot / "configs" / "make.yaml").write_text("n: 3\n")
    answer = ok(await client.call_tool("run", {
        "workspace": "w1", "reason": REASON, "results_spec": SPEC, "wait": True, "wait_timeout_seconds": 120}))
    [stage_run] = answer["stage_runs"]
    return stage_run


def test_a_blocking_contract_fails_the_run_with_the_finding(project: Path):
    setup(project, "blocking")
    answers = {}

    async def main():
        async with session(project) as client:
            stage_run = await start(client, project)
            run_id = stage_run["stage_run_id"]
            assert stage_run["state"] == "failed", stage_run
            inspected = ok(await client.call_tool("inspect_run", {"run_id": run_id, "include": ["metadata", "svs"]}))
            assert inspected["error"].startswith("svs_block: 2 output contracts broken"), inspected["error"]
            assert "output features has shape [5], the contract declares [3]" in inspected["error"]
            assert "output features has dtype int64, the contract declares float32" in inspected["error"]
            post = inspected["svs"]["post_run"]
            assert post["decision"] == "blocked" and post["reviewer"] == "contracts"
            assert [f["check"] for f in post["findings"]] == ["shape", "dtype"]
            assert set(inspected["svs"]) >= {"preflight", "pre_run", "during_run", "post_run"}
            assert [t["event"] for t in inspected["transitions"]][-1] == "svs_block", inspected["transitions"]

            found = ok(await client.call_tool("get_run_svs_findings", {"stage_run_id": run_id}))
            answers["mcp"] = found
            assert found["success"] and found["stage_run_id"] == run_id and found["failure_patterns"] == []
            [review] = [r for r in found["reviews"] if r["review_type"] == "post_run"]
            assert review["review_type"] == "post_run" and review["decision"] == "blocked"
            assert all(f["severity"] == "error" for f in review["parsed_findings"])
            stats = found["output_stats"]["features"]
            assert stats["total"] == 5 and stats["max"] == 4.0 and stats["unique_count"] == 5, stats

        cli = json.loads(goldfish("svs", run_id, "--json", cwd=project).stdout)
        assert cli == answers["mcp"]  # one Host view behind both faces
        state = (project / "STATE.md").read_text()
        assert f"SVS blocked (contracts): 2 findings: output features has shape [5]" in state, state

    run(main())


def test_a_warning_contract_completes_with_the_finding_in_the_record(project: Path):
    setup(project, "warning")

    async def main():
        async with session(project) as client:
            stage_run = await start(client, project)
            run_id = stage_run["stage_run_id"]
            assert stage_run["state"] == "awaiting_user_finalization", stage_run
            found = ok(await client.call_tool("get_run_svs_findings", {"stage_run_id": run_id}))
            [review] = [r for r in found["reviews"] if r["review_type"] == "post_run"]
            assert review["decision"] == "warned"
            assert [(f["check"], f["severity"]) for f in review["parsed_findings"]] == [
                ("shape", "warning"), ("dtype", "warning")]
            board = ok(await client.call_tool("dashboard", {}))
            alerts = [a for a in board["alerts"]["svs_reviews"] if a["run_id"] == run_id]
            assert [(a["review_type"], a["decision"], a["findings_count"]) for a in alerts] == [("post_run", "warned", 2)]
            again = ok(await client.call_tool("dashboard", {}))
            assert [a for a in again["alerts"]["svs_reviews"] if a["run_id"] == run_id] == [], "an alert is shown once"
            results = {"primary_metric": "loss", "direction": "minimize", "value": 0.5, "dataset_split": "train",
                       "ml_outcome": "partial", "notes": "features kept the wrong shape"}
            final = ok(await client.call_tool("finalize_run", {"record_or_run_id": run_id, "results": results}))
            this_run = final["comparison"]["svs_findings"]["this_run"]
            assert this_run["decision"] == "warned" and this_run["stage_run_id"] == run_id
            assert this_run["findings"][0] == "warning [shape] output features has shape [5], the contract declares [3]"
            assert final["comparison"]["svs_findings"]["previous_run"] is None

    run(main())
