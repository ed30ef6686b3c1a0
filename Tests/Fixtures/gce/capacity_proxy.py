#!/usr/bin/env python3
"""A loopback proxy in front of gcplocal that makes chosen zones fail instances.insert the
ways Compute Engine does, so the gce backend's capacity search is tested against real HTTP
answers. Binds 127.0.0.1 only; prints its port on stdout.

  capacity_proxy.py TARGET_PORT FAULTS_JSON

FAULTS_JSON maps a zone to a fault, optionally "FAULT*N" to fail only the first N inserts:
  exhausted   DONE operation whose error is ZONE_RESOURCE_POOL_EXHAUSTED
  no-room     HTTP 400 "... does not have enough resources available ..."
  unavailable HTTP 400 "... is not available in zone ..."
  503         HTTP 503 (the API's overloaded/capacity answer)
  bad-type    HTTP 400 "Invalid value for field 'resource.machineType'" (permanent)
  slow        the insert goes through, but its operation is answered as RUNNING, so the
              caller must poll operations/NAME (gcplocal answers those DONE)
A key "status:NAME" instead makes every GET of instance NAME answer with that status
(e.g. "status:gf-run-1": "STOPPED"): gcplocal's VMs never stop, Compute Engine's spot VMs do.
An insert of a name the zone already has is answered 409 alreadyExists, as Compute Engine does
(gcplocal replaces the instance instead).
POST /_faults merges a JSON object into the faults while it runs (a spot VM preempted mid-job:
{"status:NAME": "STOPPED"}).
GET /_inserts lists every insert seen: [{"zone", "name", "fault", "body"}];
GET /_operation_polls counts GETs of zone operations.
"""
import http.client
import http.server
import json
import re
import sys
import threading

TARGET_PORT = int(sys.argv[1])
FAULTS = json.loads(sys.argv[2])
state = {"inserts": [], "counts": {}, "operation_polls": 0}
lock = threading.Lock()
INSERT = re.compile(r"^/compute/v1/projects/([^/]+)/zones/([^/]+)/instances/?(\?.*)?$")


def fault_for(zone):
    spec = FAULTS.get(zone)
    if not spec:
        return None
    kind, _, limit = spec.partition("*")
    with lock:
        count = state["counts"].get(zone, 0) + 1
        state["counts"][zone] = count
    if limit and count > int(limit):
        return None
    return kind


def exists(project, zone, name):
    upstream = http.client.HTTPConnection("127.0.0.1", TARGET_PORT, timeout=60)
    upstream.request("GET", "/compute/v1/projects/%s/zones/%s/instances/%s" % (project, zone, name))
    response = upstream.getresponse()
    response.read()
    upstream.close()
    return response.status == 200


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, message, reason):
        self._json(status, {"error": {"code": status, "message": message,
                                      "errors": [{"domain": "global", "reason": reason, "message": message}]}})

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/_inserts":
            with lock:
                return self._json(200, state["inserts"])
        if self.path == "/_faults" and self.command == "POST":
            with lock:
                FAULTS.update(json.loads(body or b"{}"))
            return self._json(200, FAULTS)
        if self.path == "/_operation_polls":
            with lock:
                return self._json(200, {"count": state["operation_polls"]})
        if self.command == "GET" and "/operations/" in self.path:
            with lock:
                state["operation_polls"] += 1
        slow = False
        match = INSERT.match(self.path)
        if self.command == "POST" and match:
            zone = match.group(2)
            fault = fault_for(zone)
            parsed = json.loads(body or b"{}")
            with lock:
                state["inserts"].append({"zone": zone, "name": parsed.get("name"), "fault": fault, "body": parsed})
            name = parsed.get("name", "?")
            if fault == "exhausted":
                return self._json(200, {
                    "kind": "compute#operation", "name": "operation-fault", "status": "DONE", "zone": zone,
                    "operationType": "insert", "httpErrorStatusCode": 503,
                    "error": {"errors": [{"code": "ZONE_RESOURCE_POOL_EXHAUSTED",
                                          "message": "The zone '%s' does not have enough resources available to "
                                                     "fulfill the request. Try a different zone." % zone}]}})
            if fault == "no-room":
                return self._error(400, "The zone 'projects/p/zones/%s' does not have enough resources available "
                                        "to fulfill the request. '(resource type:compute)'." % zone, "badRequest")
            if fault == "unavailable":
                return self._error(400, "The resource 'machineType' is not available in zone %s" % zone,
                                   "invalid")
            if fault == "503":
                return self._error(503, "Service temporarily unavailable for %s" % name, "backendError")
            slow = fault == "slow"
            if fault is None and exists(match.group(1), zone, name):
                return self._error(409, "The resource 'projects/%s/zones/%s/instances/%s' already exists"
                                   % (match.group(1), zone, name), "alreadyExists")
            if fault == "bad-type":
                return self._error(400, "Invalid value for field 'resource.machineType': 'zones/%s/machineTypes/"
                                        "nope'. Machine type with name 'nope' does not exist." % zone, "invalid")
        upstream = http.client.HTTPConnection("127.0.0.1", TARGET_PORT, timeout=60)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for header, value in self.headers.items():
            if header.lower() not in ("connection", "content-length", "transfer-encoding", "host"):
                upstream.putheader(header, value)
        upstream.putheader("Host", "127.0.0.1:%d" % TARGET_PORT)
        upstream.putheader("Content-Length", str(len(body)))
        upstream.endheaders(body)
        response = upstream.getresponse()
        data = response.read()
        if slow and response.status == 200:
            operation = json.loads(data)
            operation["status"] = "RUNNING"
            data = json.dumps(operation).encode()
        override = FAULTS.get("status:" + self.path.split("?")[0].rsplit("/", 1)[-1])
        if self.command == "GET" and override and response.status == 200:
            instance = json.loads(data)
            instance["status"] = override
            data = json.dumps(instance).encode()
        self.send_response(response.status)
        for header, value in response.getheaders():
            if header.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date"):
                self.send_header(header, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
