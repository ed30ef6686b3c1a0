"""goldfish.io: what a stage uses to talk to Goldfish.

The same import and names as the Python goldfish-ml, so stage code written for it runs
unchanged. Standard library only; numpy is imported when an npy signal is touched and
pandas, if installed, is used for csv (without pandas, csv inputs load as a list of
dicts with string values). Importing never fails; outside a Goldfish run each call
raises GoldfishIOError saying so.

Contract with the host (set by the backend that starts the stage):
  GOLDFISH_STAGE_CONFIG_FILE  the stage config file (JSON), relative to GOLDFISH_INPUTS_DIR
                          (Goldfish writes <inputs>/goldfish.stage_config.json): user config +
                          stage, inputs {name: {location, format, type, schema}}, outputs
                          {name: {format, type, schema}}
  GOLDFISH_STAGE_CONFIG   the same JSON inline; wins when set (handy in tests)
  GOLDFISH_INPUTS_DIR     inputs staged read-only at <dir>/<name> (default /mnt/inputs)
  GOLDFISH_OUTPUTS_DIR    outputs written under it (default /mnt/outputs); runtime files
                          (metrics.jsonl, heartbeat, logs.txt, outputs.json,
                          svs_stats.json, svs_findings.json, stop_requested,
                          checkpoints/) under <dir>/.goldfish/
  GOLDFISH_RUN_ID, GOLDFISH_WORKSPACE, GOLDFISH_STAGE, GOLDFISH_PROJECT_NAME,
  GOLDFISH_GIT_SHA, GOLDFISH_METRICS_FLUSH_INTERVAL (s, default 5),
  GOLDFISH_METRICS_MAX_NAMES (default 10000)
"""

from importlib import import_module

# Each name is imported from its module the first time it is used (PEP 562): a stage that only
# logs metrics never pays for the csv, zipfile and statistics code behind outputs and
# contracts, nor for checkpoints. `from goldfish.io import x` and `import *` work as before.
_HOME = {
    "checkpoint": "_checkpoints", "list_checkpoints": "_checkpoints", "load_checkpoint": "_checkpoints",
    "save_checkpoint": "_checkpoints",
    "GoldfishIOError": "_context", "get_config": "_context",
    "get_heartbeat_age": "_heartbeat", "heartbeat": "_heartbeat", "read_heartbeat": "_heartbeat",
    "runtime_log": "_heartbeat", "should_stop": "_heartbeat",
    "get_input_path": "_inputs", "load_input": "_inputs",
    "finish_metrics": "_metrics", "flush_metrics": "_metrics", "log_artifact": "_metrics", "log_metric": "_metrics",
    "log_metrics": "_metrics",
    "get_output_path": "_outputs", "save_output": "_outputs",
}


def __getattr__(name):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'goldfish.io' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    "GoldfishIOError",
    "load_input",
    "save_output",
    "get_config",
    "get_input_path",
    "get_output_path",
    "log_metric",
    "log_metrics",
    "log_artifact",
    "flush_metrics",
    "finish_metrics",
    "heartbeat",
    "get_heartbeat_age",
    "read_heartbeat",
    "runtime_log",
    "should_stop",
    "save_checkpoint",
    "load_checkpoint",
    "list_checkpoints",
    "checkpoint",
]
