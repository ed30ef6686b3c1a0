"""Issue #17, host calls, start-up and queries (section `core`): an ABI call through the host
against the raw C table; a cold MCP session and the `status`, `inspect_run` and `list_history`
calls at 1,000 and 100,000 runs against goldfish-ml 0.4.6 (bench/speed_core_mcp.py drives both
servers with the official MCP client, in the benchmark venv)."""
import json
import shutil
import subprocess
from pathlib import Path


def bench_core(goldfish, args, tools):
    """`tools`: bench/run.py's Row, guarded, goldfish_env, make_project, scratch, bench_venv_python, BENCH_VENV."""
    rows = tools["guarded"]("ABI call via the host", lambda: abi_rows(goldfish, args, tools))
    return rows + tools["guarded"]("MCP vs goldfish-ml", lambda: mcp_rows(goldfish, args, tools))


def abi_rows(goldfish, args, tools):
    Row = tools["Row"]
    helper = Path(goldfish).parent / "goldfish-bench"
    work = tools["scratch"]()
    try:
        project = tools["make_project"](goldfish, work)
        done = subprocess.run([str(helper), "abi-call", "--project", str(project), "--count", str(args.abi_calls)],
                              env=tools["goldfish_env"](), check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return [Row("ABI call via the host (`uri_for`, `call_timeout_seconds` on)", result["host_call_ns"],
                    "raw C table (`gf_call_fn`), same call", result["raw_abi_ns"], unit="ns")]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def mcp_rows(goldfish, args, tools):
    Row = tools["Row"]
    python = tools["bench_venv_python"]()
    here = Path(__file__).resolve().parent
    runs = [1000, 100_000] if not args.quick else [1000]
    done = subprocess.run(
        [str(python), str(here / "speed_core_mcp.py"), "--ours", goldfish,
         "--theirs", str(tools["BENCH_VENV"] / "bin" / "goldfish"), "--runs", ",".join(map(str, runs)),
         "--repeat", str(args.mcp_repeat)], capture_output=True, text=True, timeout=3600, cwd=here)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for count in runs:
        entry = result[str(count)]
        ours, theirs = entry["ours"], entry.get("theirs")
        note = f"goldfish-ml did not run: {entry.get('theirs_error', 'no result')}"
        steps = [("cold", f"MCP cold session (initialize + tools/list + first status), {count:,} runs",
                  "goldfish-ml 0.4.6, cold")]
        steps += [(name, f"MCP `{name}`, {count:,} runs (per call, server up)", "goldfish-ml 0.4.6, daemon up")
                  for name in ("status", "inspect_run", "list_history")]
        for key, label, baseline in steps:
            rows.append(Row(label, ours[key], baseline, theirs[key] if theirs else None, "" if theirs else note))
    return rows
