#!/usr/bin/env python3
"""Plays the VMs of gcplocal, whose instances never run anything: for every RUNNING instance
of the project it starts goldfish-agent with the config from the instance's metadata (as the
startup script does on a real VM), stops that agent when the instance is deleted, and deletes
the instance through the API when the agent exits on its own (standing in for the startup
script's self-delete). Loopback only. Prints "ready" on stdout, then runs until stdin closes.

  vm_harness.py --api http://127.0.0.1:P/compute/v1 --project P --zones z1,z2 \
                --agent /path/goldfish-agent --work DIR [--boot-delay S] [--poll S]

The agent's work_root (a VM path) is moved under DIR/<instance>/; the storage emulator is
reached through STORAGE_EMULATOR_HOST, inherited from this process. Events are appended to
DIR/harness.log, each agent's output to DIR/<instance>/agent.log.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--api", required=True)
parser.add_argument("--project", required=True)
parser.add_argument("--zones", required=True)
parser.add_argument("--agent", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--boot-delay", type=float, default=0.0)
parser.add_argument("--poll", type=float, default=0.2)
args = parser.parse_args()

# The Swift test runner blocks SIGTERM in its threads and children inherit the mask: undo it
# so the agents started here can be stopped the ordinary way.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

zones = [z for z in args.zones.split(",") if z]
os.makedirs(args.work, exist_ok=True)
log_file = open(os.path.join(args.work, "harness.log"), "a", buffering=1)
stopping = threading.Event()
vms = {}  # (zone, name) -> {"process", "boot_at", "state"}


def log(message):
    log_file.write("%s %s\n" % (time.strftime("%H:%M:%S"), message))


def api(method, path):
    request = urllib.request.Request(args.api + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, json.loads(body) if body else {}
    except urllib.error.HTTPError as error:
        return error.code, {}


def instances(zone):
    status, body = api("GET", "/projects/%s/zones/%s/instances" % (args.project, zone))
    return body.get("items", []) if status == 200 else None


def metadata(instance, key):
    for item in instance.get("metadata", {}).get("items", []):
        if item.get("key") == key:
            return item.get("value")
    return None


def boot(zone, instance):
    """What the startup script does: config from metadata, then the agent."""
    name = instance["name"]
    folder = os.path.join(args.work, name)
    os.makedirs(folder, exist_ok=True)
    config = json.loads(metadata(instance, "goldfish-agent-config") or "{}")
    config["work_root"] = os.path.join(folder, "root")
    path = os.path.join(folder, "agent.json")
    with open(path, "w") as handle:
        json.dump(config, handle)
    output = open(os.path.join(folder, "agent.log"), "ab")
    process = subprocess.Popen([args.agent, "--config", path], stdin=subprocess.DEVNULL, stdout=output,
                               stderr=subprocess.STDOUT, start_new_session=True)
    log("booted %s/%s: agent pid %d" % (zone, name, process.pid))
    return process


def stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def step():
    now = time.time()
    for zone in zones:
        listed = instances(zone)
        if listed is None:
            continue
        present = {item["name"]: item for item in listed}
        for name, item in present.items():
            vm = vms.get((zone, name))
            if vm is None and item.get("status") == "RUNNING" and metadata(item, "goldfish-agent-config"):
                vms[(zone, name)] = {"process": None, "boot_at": now + args.boot_delay, "state": "booting"}
                log("saw %s/%s RUNNING" % (zone, name))
        for (vm_zone, name), vm in list(vms.items()):
            if vm_zone != zone or vm["state"] == "gone":
                continue
            if name not in present:
                # Deleted through the API: the machine and everything on it stop at once.
                if vm["process"] is not None:
                    stop(vm["process"])
                vm["state"] = "gone"
                log("%s/%s deleted: agent stopped" % (zone, name))
                continue
            if vm["state"] == "booting" and now >= vm["boot_at"]:
                vm["process"] = boot(zone, present[name])
                vm["state"] = "running"
            elif vm["state"] == "running" and vm["process"].poll() is not None:
                code = vm["process"].returncode
                status, _ = api("DELETE", "/projects/%s/zones/%s/instances/%s" % (args.project, zone, name))
                vm["state"] = "gone"
                log("%s/%s agent exited %d: self-delete answered %d" % (zone, name, code, status))


def watch_stdin():
    sys.stdin.read()
    stopping.set()


threading.Thread(target=watch_stdin, daemon=True).start()
print("ready", flush=True)
while not stopping.is_set():
    try:
        step()
    except Exception as error:  # the loop outlives one bad poll, as a VM fleet would
        log("poll failed: %r" % (error,))
    stopping.wait(args.poll)
for vm in vms.values():
    if vm["process"] is not None:
        stop(vm["process"])
log("harness stopped")
