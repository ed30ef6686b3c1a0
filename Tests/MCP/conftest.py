"""Shared helpers: the built goldfish binary, fresh projects, and MCP sessions over stdio."""
import asyncio
import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "Examples" / "Pipeline"


# What MCP `run` requires (upstream's results_spec): the metric a run is judged by.
SPEC = {
    "primary_metric": "loss", "direction": "minimize", "min_value": 1.0, "goal_value": 0.01,
    "dataset_split": "train", "tolerance": 0.01, "context": "mean squared error of the fitted line",
}


def without_finalization_gate(project: Path) -> None:
    """For tests about something else that start several runs of one workspace: no gate."""
    config = project / "goldfish.yaml"
    config.write_text(config.read_text().replace(
        "  min_reason_length: 15", "  min_reason_length: 15\n  finalization_gate: false"))


def goldfish_binary() -> str:
    path = os.environ.get("GOLDFISH_BIN") or str(REPO / ".build" / "debug" / "goldfish")
    if not os.access(path, os.X_OK):
        pytest.exit(f"goldfish binary not found at {path}: build first or set GOLDFISH_BIN", returncode=2)
    return path


def goldfish(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([goldfish_binary(), *args], cwd=cwd, capture_output=True, text=True, check=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project on the embedded default backend (process + file storage)."""
    root = tmp_path / "proj"
    goldfish("init", "proj", "--path", str(root))
    return root


@contextlib.asynccontextmanager
async def session(project: Path | str, cwd: Path | None = None):
    params = StdioServerParameters(
        command=goldfish_binary(), args=["serve", "--project", str(project)],
        env={**os.environ, "GOLDFISH_LOG_LEVEL": "warning"}, cwd=str(cwd) if cwd else None)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            yield client


def run(coroutine):
    return asyncio.run(coroutine)


def field(model, snake: str, camel: str):
    """mcp 2.x names fields in snake_case, 1.x in camelCase: read either."""
    return getattr(model, snake) if hasattr(model, snake) else getattr(model, camel)


def ok(result) -> dict:
    """The structured content of a successful call; fails the test with the error otherwise."""
    assert not field(result, "is_error", "isError"), result.content[0].text if result.content else result
    content = field(result, "structured_content", "structuredContent")
    assert content is not None
    return content


def error(result) -> dict:
    content = field(result, "structured_content", "structuredContent")
    assert field(result, "is_error", "isError"), content
    assert set(content) >= {"code", "message", "hint"}, content
    return content


def copy_example(slot_path: Path) -> None:
    """The sample pipeline's files, written into a mounted slot as an agent would."""
    for item in ["pipeline.yaml", "modules", "configs"]:
        source = EXAMPLE / item
        if source.is_dir():
            shutil.copytree(source, slot_path / item, dirs_exist_ok=True)
        else:
            shutil.copy(source, slot_path / item)
