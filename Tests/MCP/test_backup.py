"""Backups through the official client: a backup created over MCP, `.goldfish/` deleted, and the
project restored with `goldfish backup restore` from the storage alone, with every run, record and
version back. The storage is a `file` storage outside the project data, as docs/backups.md says."""
import json
import shutil
from pathlib import Path

from conftest import error, goldfish, ok, run, session

REASON = "testing that backups restore a lost project"
PIPELINE = "name: pipeline\nstages:\n  - name: hello\n    outputs: {}\n"


def with_outside_storage(project: Path, storage: Path) -> None:
    storage.mkdir()
    config = project / "goldfish.yaml"
    config.write_text(config.read_text() + f"\nfile:\n  root: {storage}\n")


def results(value: float) -> dict:
    return {"primary_metric": "val_loss", "direction": "minimize", "value": value, "dataset_split": "val",
            "ml_outcome": "success", "notes": "validation loss of the hello stage"}


async def snapshot(client) -> dict:
    """What must survive: every run with its record, every version of every workspace."""
    history = ok(await client.call_tool("list_history", {"workspace": "keep", "record_type": "run", "desc": False}))
    versions = ok(await client.call_tool("manage_versions", {"workspace": "keep"}))["versions"]
    workspaces = ok(await client.call_tool("list_workspaces", {}))
    return {
        "runs": [(r["stage_run_id"], r["record_id"], r.get("results_status")) for r in history["records"]],
        "versions": sorted((v["version"], v["git_sha"]) for v in versions),
        "workspaces": sorted(w["name"] for w in workspaces["workspaces"]),
    }


def test_backup_then_rebuild_a_lost_goldfish_folder_from_storage_alone(project: Path, tmp_path: Path):
    storage = tmp_path / "storage"
    with_outside_storage(project, storage)

    async def before() -> tuple[dict, dict]:
        async with session(project) as client:
            ok(await client.call_tool("create_workspace", {"name": "keep", "goal": "work worth keeping", "reason": REASON}))
            slot = Path(ok(await client.call_tool("mount", {"workspace": "keep", "slot": "w1", "reason": REASON}))["path"])
            (slot / "modules").mkdir(exist_ok=True)
            (slot / "pipeline.yaml").write_text(PIPELINE)
            (slot / "modules" / "hello.py").write_text("print('hello')\n")
            goldfish("run", "w1", "--reason", REASON, "--wait", cwd=project)
            first = ok(await client.call_tool("list_history", {"workspace": "keep", "record_type": "run"}))
            ok(await client.call_tool("finalize_run", {
                "record_or_run_id": first["records"][0]["stage_run_id"], "results": results(0.5)}))
            (slot / "notes.md").write_text("what the first run taught\n")
            ok(await client.call_tool("save_version", {"slot": "w1", "message": "notes after the first run"}))

            created = ok(await client.call_tool("create_backup", {"details": "before the accident"}))
            assert created["created"] and created["backup_id"].startswith("backup-"), created
            assert created["uri"].startswith(f"file://{storage.resolve()}/backups/"), created
            assert created["size_bytes"] == created["backup"]["database_bytes"] + created["backup"]["repository_bytes"]
            listed = ok(await client.call_tool("list_backups", {}))
            assert created["backup_id"] in [b["backup_id"] for b in listed["backups"]], listed
            assert listed["total"] == sum(listed["counts"].values())
            # create_workspace and save_version took their own backups, in the background.
            assert {"manual", "create_workspace"} <= {b["trigger"] for b in listed["backups"]}, listed
            status = ok(await client.call_tool("get_backup_status", {}))
            assert status["enabled"] and status["warning"] is None, status
            assert status["last_backup"]["backup_id"] == created["backup_id"], status
            cleaned = ok(await client.call_tool("cleanup_backups", {}))
            assert cleaned == {"success": True, "deleted_expired": 0, "deleted_excess": 0, "deleted": []}
            refused = error(await client.call_tool("list_backups", {"tier": "hourly"}))
            assert refused["code"] == "invalid_argument", refused
            return created, await snapshot(client)

    created, expected = run(before())
    assert len(expected["runs"]) == 1 and expected["runs"][0][2] == "finalized", expected
    assert len(expected["versions"]) >= 2, expected
    manifest = json.loads((storage / "backups" / "manifest.json").read_text())
    entry = next(b for b in manifest["backups"] if b["backup_id"] == created["backup_id"])
    assert entry["database_sha256"] == created["backup"]["database_sha256"] and entry["tier"] == created["tier"]

    # The accident: the whole project data folder is gone. Everything else (goldfish.yaml, the
    # slots, the storage) is where it was.
    shutil.rmtree(project / ".goldfish")
    restored = json.loads(goldfish("backup", "restore", created["backup_id"], "--json", cwd=project).stdout)
    assert restored["rebuilt"] and restored["backup_id"] == created["backup_id"], restored
    assert restored.get("database_kept_at") is None, restored

    async def after() -> dict:
        async with session(project) as client:
            listed = ok(await client.call_tool("list_backups", {}))
            assert created["backup_id"] in [b["backup_id"] for b in listed["backups"]], listed
            return await snapshot(client)

    assert run(after()) == expected

    # Restoring again in place keeps the database it replaces aside and says where.
    again = json.loads(goldfish("backup", "restore", "--json", cwd=project).stdout)
    assert again["database_kept_at"] and Path(again["database_kept_at"]).exists(), again
    assert ".before-restore-" in again["database_kept_at"]
