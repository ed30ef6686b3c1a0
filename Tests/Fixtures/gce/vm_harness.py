#!/usr/bin/env python3
"""Plays the VMs of gcplocal, whose instances never run anything: for every RUNNING instance
of the project it starts goldfish-agent with the config from the instance's metadata (as the
startup script does on a real VM), stops that agent when the instance is deleted, and deletes
the instance through the API when the agent exits on its own (standing in for the startup
script's self-delete). Loopback only. Prints "ready" on stdout, then runs until stdin closes.

  vm_harness.py --api http://127.0.0.1:P/compute/v1 --project P --zones z1,z2 \
                --agent /path/goldfish-agent --work DIR [--boot-delay S] [--poll S]
  vm_harness.py ... --isolated --vm-image IMAGE --engine unix:///path/docker.sock

--isolated: a VM that shares nothing with the host. Each RUNNING instance is a container of
IMAGE on the given Docker engine, with no bind mount at all and `--network host` to reach the
loopback emulators; it runs the instance's own startup script, whose metadata server is a
per-VM loopback server here (GCE_METADATA_HOST: the instance's metadata, a token, its name and
zone). The script downloads goldfish-agent from the storage emulator and checks its SHA-256;
the agent runs jobs through this engine, reached over a loopback TCP proxy (its port is
printed after "ready"), so job folders travel through the archive API as they would to any
engine that does not share the agent's disk. Deleting the instance removes the VM container
and its job containers; a VM container that exits deletes its instance. A file
DIR/preempt/<instance> makes the harness preempt that VM: SIGTERM to its agent, and the
instance is left as it is (the test makes it read STOPPED through the capacity proxy).

The agent's work_root (a VM path) is moved under DIR/<instance>/; the storage emulator is
reached through STORAGE_EMULATOR_HOST, inherited from this process. Events are appended to
DIR/harness.log, each agent's output to DIR/<instance>/agent.log.
"""
import argparse
import http.server
import json
import os
import signal
import socket
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
parser.add_argument("--isolated", action="store_true")
parser.add_argument("--vm-image", default="goldfish/gce-vm:1")
parser.add_argument("--engine", default=os.environ.get("DOCKER_HOST", ""))
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


def docker(*argv, check=False):
    environment = dict(os.environ, DOCKER_HOST=args.engine)
    result = subprocess.run(["docker", *argv], env=environment, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True)
    if check and result.returncode != 0:
        raise RuntimeError("docker %s: %s" % (" ".join(argv[:2]), result.stderr.strip()))
    return result


class EngineProxy(threading.Thread):
    """127.0.0.1:PORT -> the engine's unix socket, byte for byte (the VMs' Docker engine)."""

    def __init__(self, socket_path):
        super().__init__(daemon=True)
        self.socket_path = socket_path
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]

    def run(self):
        while True:
            client, _ = self.server.accept()
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket_path)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, target), daemon=True).start()

    @staticmethod
    def pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def metadata_server(zone, instance):
    """The instance's metadata server, on its own loopback port."""
    items = {item["key"]: item["value"] for item in instance.get("metadata", {}).get("items", [])}
    answers = {
        "instance/name": instance["name"],
        "instance/zone": "projects/%s/zones/%s" % (args.project, zone),
        "instance/service-accounts/default/token": json.dumps(
            {"access_token": "harness-token", "expires_in": 3600, "token_type": "Bearer"}),
    }
    for key, value in items.items():
        answers["instance/attributes/" + key] = value

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            prefix = "/computeMetadata/v1/"
            value = answers.get(path[len(prefix):]) if path.startswith(prefix) else None
            if value is None or self.headers.get("Metadata-Flavor") != "Google":
                self.send_response(404)
                self.end_headers()
                return
            body = value.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def boot_isolated(zone, instance):
    """A container that is the VM: its startup script, its metadata server, nothing of ours."""
    name = instance["name"]
    server = metadata_server(zone, instance)
    config = json.loads(metadata(instance, "goldfish-agent-config") or "{}")
    container = "gf-vm-%s-%s" % (args.project, name)
    docker("rm", "-f", container)
    docker("run", "-d", "--name", container, "--network", "host", "--label", "goldfish.harness-vm=" + name,
           "-e", "GCE_METADATA_HOST=127.0.0.1:%d" % server.server_address[1], args.vm_image,
           "bash", "-c", metadata(instance, "startup-script") or "exit 1", check=True)
    log("booted %s/%s as container %s (metadata on %d)" % (zone, name, container, server.server_address[1]))
    return {"container": container, "server": server, "worker": config.get("worker_id", name)}


def vm_running(vm):
    result = docker("inspect", "-f", "{{.State.Running}}", vm["container"])
    return result.returncode == 0 and result.stdout.strip() == "true"


def stop_isolated(vm, name):
    folder = os.path.join(args.work, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vm.log"), "w") as handle:
        handle.write(docker("logs", vm["container"]).stderr)
    docker("rm", "-f", vm["container"])
    jobs = docker("ps", "-aq", "--filter", "label=goldfish.worker-id=" + vm["worker"]).stdout.split()
    if jobs:
        docker("rm", "-f", *jobs)
    vm["server"].shutdown()


def preempt_isolated(vm):
    """Compute Engine's ACPI shutdown, as the agent sees it: SIGTERM, then the VM stops."""
    docker("exec", vm["container"], "bash", "-c",
           "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = goldfish-agent ] && kill -TERM ${p#/proc/}; done")
    for _ in range(300):
        if not vm_running(vm):
            break
        time.sleep(0.1)


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
                if args.isolated and vm["process"] is not None:
                    stop_isolated(vm["process"], name)
                elif vm["process"] is not None:
                    stop(vm["process"])
                vm["state"] = "gone"
                log("%s/%s deleted: agent stopped" % (zone, name))
                continue
            if vm["state"] == "booting" and now >= vm["boot_at"]:
                vm["process"] = boot_isolated(zone, present[name]) if args.isolated else boot(zone, present[name])
                vm["state"] = "running"
            elif args.isolated and vm["state"] == "running":
                if os.path.exists(os.path.join(args.work, "preempt", name)):
                    preempt_isolated(vm["process"])
                    vm["state"] = "preempted"
                    log("%s/%s preempted: agent sent SIGTERM, instance left stopped" % (zone, name))
                elif not vm_running(vm["process"]):
                    status, _ = api("DELETE", "/projects/%s/zones/%s/instances/%s" % (args.project, zone, name))
                    stop_isolated(vm["process"], name)
                    vm["state"] = "gone"
                    log("%s/%s VM exited: self-delete answered %d" % (zone, name, status))
            elif vm["state"] == "running" and vm["process"].poll() is not None:
                code = vm["process"].returncode
                status, _ = api("DELETE", "/projects/%s/zones/%s/instances/%s" % (args.project, zone, name))
                vm["state"] = "gone"
                log("%s/%s agent exited %d: self-delete answered %d" % (zone, name, code, status))


def watch_stdin():
    sys.stdin.read()
    stopping.set()


threading.Thread(target=watch_stdin, daemon=True).start()
if args.isolated:
    proxy = EngineProxy(args.engine[len("unix://"):])
    proxy.start()
    print("ready %d" % proxy.port, flush=True)
else:
    print("ready", flush=True)
while not stopping.is_set():
    try:
        step()
    except Exception as error:  # the loop outlives one bad poll, as a VM fleet would
        log("poll failed: %r" % (error,))
    stopping.wait(args.poll)
for (zone, name), vm in vms.items():
    if vm["process"] is None or vm["state"] == "gone":
        continue
    if args.isolated:
        stop_isolated(vm["process"], name)
    else:
        stop(vm["process"])
log("harness stopped")
