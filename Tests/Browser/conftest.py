"""A real project with real runs, a real `goldfish web` on 127.0.0.1 and a real headless Chromium.

Everything is made through the goldfish CLI in a private $HOME: a project holding the sample
pipeline (two finished runs, the second with another learning rate) and a workspace whose one
stage keeps running while it logs, so the pages can be watched updating live."""
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "Examples" / "Pipeline"
SHOTS = REPO / "docs" / "web"
REASON = "watching the dashboard in a real browser"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

LIVE_PIPELINE = """name: pipeline
stages:
  - name: slow
    outputs:
      done: {type: file, schema: null}
"""
LIVE_STAGE = """import time
from goldfish.io import flush_metrics, get_output_path, log_metric, save_output

for step in range(STEPS):
    log_metric("loss", 1.0 / (step + 1), step=step)
    log_metric("accuracy", 1.0 - 0.5 / (step + 1), step=step)
    flush_metrics()
    print(f"step {step}: loss {1.0 / (step + 1):.4f}", flush=True)
    time.sleep(0.5)
with open(get_output_path("done"), "w") as handle:
    handle.write("done")
save_output("done", get_output_path("done"))
"""


def goldfish_binary() -> str:
    path = os.environ.get("GOLDFISH_BIN") or str(REPO / ".build" / "debug" / "goldfish")
    if not os.access(path, os.X_OK):
        pytest.exit(f"goldfish binary not found at {path}: build first or set GOLDFISH_BIN", returncode=2)
    return path


class World:
    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.env = {**os.environ, "HOME": str(home), "GOLDFISH_LOG_LEVEL": "warning"}
        self.env.pop("GOLDFISH_PLUGIN_PATH", None)

    def goldfish(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([goldfish_binary(), *args], cwd=self.root, env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"goldfish {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args: str):
        return json.loads(self.goldfish(*args, "--json").stdout)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    base = tmp_path_factory.mktemp("web")
    home = base / "home"
    home.mkdir()
    root = base / "lab"
    subprocess.run([goldfish_binary(), "init", "lab", "--path", str(root)], env={**os.environ, "HOME": str(home)},
                   check=True, capture_output=True)
    world = World(root, home)
    config = root / "goldfish.yaml"
    config.write_text(config.read_text().replace(
        "  min_reason_length: 15", "  min_reason_length: 15\n  finalization_gate: false"))
    world.goldfish("source", "register", "points", str(EXAMPLE / "points.csv"), "--description", "noisy points",
                   "--reason", REASON)
    world.goldfish("workspace", "create", "line", "--goal", "fit a line", "--reason", REASON)
    world.goldfish("workspace", "mount", "line", "w1", "--reason", REASON)
    slot = root / "workspaces" / "w1"
    for part in ("pipeline.yaml", "modules", "configs"):
        source = EXAMPLE / part
        if source.is_dir():
            shutil.copytree(source, slot / part, dirs_exist_ok=True)
        else:
            shutil.copy(source, slot / part)
    world.goldfish("run", "w1", "--reason", REASON, "--wait")
    train_config = slot / "configs" / "train.yaml"
    train_config.write_text(train_config.read_text().replace("epochs: 200", "epochs: 150"))
    world.goldfish("run", "w1", "--reason", REASON, "--wait", "--rerun", "--config", "train.learning_rate=0.1")
    world.runs = world.json("runs", "--limit", "20")
    return world


def start_live_run(world: World, steps: int) -> str:
    """Starts the `slow` stage in slot w2 without waiting; returns its stage run id once it runs."""
    world.goldfish("workspace", "create", "live", "--goal", "a stage to watch", "--reason", REASON, check=False)
    world.goldfish("workspace", "mount", "live", "w2", "--reason", REASON, check=False)
    slot = world.root / "workspaces" / "w2"
    (slot / "modules").mkdir(exist_ok=True)
    (slot / "pipeline.yaml").write_text(LIVE_PIPELINE)
    (slot / "modules" / "slow.py").write_text(LIVE_STAGE.replace("STEPS", str(steps)))
    world.goldfish("run", "w2", "--reason", REASON, "--rerun")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for run in world.json("runs", "--workspace", "live", "--limit", "1"):
            if run["state"] == "running":
                return run["stage_run_id"]
        time.sleep(0.2)
    raise AssertionError("the slow stage never reached running")


@pytest.fixture(scope="session")
def server(world: World):
    process = subprocess.Popen([goldfish_binary(), "web", "--port", "0", "--project", str(world.root)],
                               env=world.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    info_file = world.home / ".goldfish" / "web" / "server.json"
    while not info_file.exists():
        if process.poll() is not None:
            raise AssertionError("goldfish web exited: " + process.stdout.read())
        time.sleep(0.05)
    info = json.loads(info_file.read_text())
    base = f"http://127.0.0.1:{info['port']}"
    projects = json.loads(subprocess.run(["curl", "-sS", base + "/api/v1/projects"], capture_output=True,
                                         text=True, check=True).stdout)
    world.project_id = next(p["id"] for p in projects if p["root"] == str(world.root))
    yield base
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1360,1000", "--no-first-run", "--disable-extensions", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def console_errors(driver) -> list:
    """Severe entries of the browser's console since the last read (a failed load, a script error)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 2400)")
    driver.set_window_size(1360, max(800, height))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1360, 1000)
