"""Artifacts as sources: a run's output promoted (or declared artifact: true) becomes a source a
new run reads, and lineage walks through that source both ways."""
import json
from pathlib import Path

from conftest import SPEC, error, goldfish, ok, run, session, without_finalization_gate

REASON = "testing outputs that become sources"
METADATA = {
    "schema_version": 1,
    "description": "doubled seed numbers written as JSON",
    "source": {"format": "file", "size_bytes": 64, "created_at": "2026-12-03T00:00:00Z"},
    "schema": {"kind": "file", "content_type": "application/json"},
}
MAKE = """\
import json
from goldfish.io import get_output_path, load_input, save_output
from goldfish.metrics import log_artifact, log_metric

seed = load_input("seed")
numbers = [2 * int(n) for n in open(seed).read().split()]
with open(get_output_path("table"), "w") as out:
    json.dump(numbers, out)
save_output("table", get_output_path("table"))
open(get_output_path("table").parent / "plot.txt", "w").write("a plot of the numbers")
log_artifact("plot", "plot.txt")
log_metric("loss", 0.5)
"""
USE = """\
import json
from goldfish.io import get_output_path, load_input, log_metric, save_output

numbers = json.load(open(load_input("table")))
with open(get_output_path("total"), "w") as out:
    out.write(str(sum(numbers)))
save_output("total", get_output_path("total"))
log_metric("loss", 0.1)
"""


def make_pipeline(table: str) -> str:
    return f"""name: pipeline
stages:
  - name: make
    inputs:
      seed: {{type: dataset, dataset: seed, schema: null}}
    outputs:
      table: {table}
"""


USE_PIPELINE = """name: pipeline
stages:
  - name: use
    inputs:
      table: {type: dataset, dataset: made-table, schema: null}
    outputs:
      total: {type: file, schema: null}
"""


async def start(client, tmp_path: Path) -> Path:
    seed = tmp_path / "seed.txt"
    seed.write_text("1 2 3\n")
    ok(await client.call_tool("register_source", {
        "name": "seed", "gcs_path": str(seed), "description": "three small numbers", "reason": REASON}))
    ok(await client.call_tool("create_workspace", {"name": "art", "goal": "numbers into sources", "reason": REASON}))
    slot = Path(ok(await client.call_tool("mount", {"workspace": "art", "slot": "w1", "reason": REASON}))["path"])
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "modules" / "make.py").write_text(MAKE)
    (slot / "modules" / "use.py").write_text(USE)
    return slot


async def run_once(client) -> str:
    started = ok(await client.call_tool("run", {
        "workspace": "w1", "reason": REASON, "results_spec": SPEC, "wait": True, "wait_timeout_seconds": 180}))
    assert started["status"] == "completed", started
    (stage,) = started["stage_runs"]
    return stage["stage_run_id"]


def test_promoted_artifact_feeds_a_new_run_and_lineage_walks_both_ways(project: Path, tmp_path: Path):
    async def main():
        without_finalization_gate(project)
        async with session(project) as client:
            slot = await start(client, tmp_path)
            (slot / "pipeline.yaml").write_text(make_pipeline("{type: file, schema: null}"))
            producer = await run_once(client)

            # log_artifact's file is stored with the run's outputs and shown with them.
            inspected = ok(await client.call_tool("inspect_run", {"run_id": producer, "include": ["metadata"]}))
            outputs = {o["signal"]: o for o in inspected["outputs"]}
            assert set(outputs) == {"table", "artifact:plot"}, outputs
            assert outputs["artifact:plot"]["signal_type"] == "artifact" and outputs["artifact:plot"]["uri"]

            refused = error(await client.call_tool("promote_artifact", {
                "job_id": producer, "output_name": "tables", "source_name": "made-table", "reason": REASON,
                "metadata": METADATA}))
            assert refused["code"] == "not_found" and "table" in refused["hint"]
            disagreeing = error(await client.call_tool("promote_artifact", {
                "job_id": producer, "output_name": "table", "source_name": "made-table", "reason": REASON,
                "metadata": METADATA, "format": "csv"}))
            assert "format" in disagreeing["message"]

            promoted = ok(await client.call_tool("promote_artifact", {
                "job_id": producer, "output_name": "table", "source_name": "made-table", "reason": REASON,
                "metadata": METADATA, "format": "file", "size_bytes": 64}))
            assert promoted["success"] and promoted["state_md"]
            source = promoted["source"]
            assert source["created_by"] == f"run:{producer}" and source["metadata_status"] == "ok"
            assert source["gcs_location"] == outputs["table"]["uri"], "a reference to the recorded output, no copy"
            assert promoted["lineage"] == {**promoted["lineage"], "source_name": "made-table",
                                           "parent_sources": ["seed"], "job_id": producer}
            taken = error(await client.call_tool("promote_artifact", {
                "job_id": producer, "output_name": "table", "source_name": "made-table", "reason": REASON,
                "metadata": METADATA}))
            assert taken["code"] == "already_exists"

            lineage = ok(await client.call_tool("manage_sources", {"action": "lineage", "name": "made-table"}))
            assert lineage["parents"] == ["seed"] and lineage["job_id"] == producer
            listed = ok(await client.call_tool("manage_sources", {"action": "list", "created_by": f"job:{producer}"}))
            assert [s["name"] for s in listed["sources"]] == ["made-table"]

            # A new run reads the promoted source as a dataset.
            (slot / "pipeline.yaml").write_text(USE_PIPELINE)
            consumer = await run_once(client)

            up = ok(await client.call_tool("get_lineage", {"run_id": consumer, "direction": "upstream"}))
            assert [(p["run_id"], p["via_source"]) for p in up["producers"]] == [(producer, "made-table")]
            down = ok(await client.call_tool("get_lineage", {"run_id": producer}))
            assert [(c["run_id"], c["via_source"]) for c in down["consumers"]] == [(consumer, "made-table")]
            assert [s["name"] for s in down["sources"]] == ["made-table"]
            graph = ok(await client.call_tool("lineage", {"run_id": consumer}))
            (table_input,) = graph["inputs"]
            assert table_input["dataset"] == "made-table" and table_input["from"]["run"] == producer
            assert table_input["from"]["inputs"][0]["dataset"] == "seed"

        # The CLI shows the same lineage.
        shown = json.loads(goldfish("lineage", consumer, "--project", str(project)).stdout)
        assert shown["inputs"][0]["from"]["run"] == producer
        parents = json.loads(goldfish("source", "lineage", "made-table", "--project", str(project)).stdout)
        assert parents["parents"] == ["seed"] and parents["job_id"] == producer
    run(main())


def test_artifact_output_becomes_a_source_by_itself(project: Path, tmp_path: Path):
    async def main():
        async with session(project) as client:
            slot = await start(client, tmp_path)
            declared = "{type: file, schema: null, artifact: true, metadata: " + json.dumps(METADATA) + "}"
            (slot / "pipeline.yaml").write_text(make_pipeline(declared))
            producer = await run_once(client)
            sources = ok(await client.call_tool("manage_sources", {"action": "list", "created_by": f"run:{producer}"}))
            (source,) = sources["sources"]
            assert source["name"].startswith("art-make-table-") and source["output_name"] == "table"
            assert source["description"] == METADATA["description"] and source["stage_run_id"] == producer
            lineage = ok(await client.call_tool("manage_sources", {"action": "lineage", "name": source["name"]}))
            assert lineage["parents"] == ["seed"] and lineage["job_id"] == producer
            down = ok(await client.call_tool("get_lineage", {"run_id": producer, "direction": "downstream"}))
            assert [s["name"] for s in down["sources"]] == [source["name"]]
    run(main())
