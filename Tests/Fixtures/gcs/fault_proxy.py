#!/usr/bin/env python3
"""A loopback HTTP proxy in front of the GCS emulator that injects one kind of fault,
so the gcs storage's resumption, verification and retries are tested against real
failures rather than mocks. Binds 127.0.0.1 only; prints its port on stdout.

  fault_proxy.py TARGET_PORT MODE [COUNT]
    drop-upload    close the connection halfway through the body of the second chunk PUT, once
    drop-download  send half of the first alt=media body, then close the connection
    stall-download send half of the first alt=media body, then go silent for 30 s
    flip-download  flip one byte in the middle of every alt=media body
    status-503     answer the first COUNT requests with 503
    status-403     answer every request with 403
    auth           serve a GCE metadata token (test-token-123) and refuse, with 401, any
                   storage request without it
    jwt            serve a service-account token endpoint at POST /token: each JWT assertion
                   is recorded (GET /_assertions lists them) and answered with a new token
                   sa-token-N that lives COUNT seconds (3599 if 0); storage requests without
                   the latest token are refused with 401
    jwt-refuse     refuse every POST /token with 400 invalid_grant
    none           forward everything
"""
import http.client
import http.server
import json
import urllib.parse
import socket
import sys
import threading
import time

TARGET_PORT = int(sys.argv[1])
MODE = sys.argv[2]
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
state = {"requests": 0, "chunks": 0, "dropped": False, "assertions": []}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _fail(self, status, message):
        body = ('{"error": {"code": %d, "message": "%s"}}' % (status, message)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        if MODE in ("jwt", "jwt-refuse") and self.path in ("/token", "/_assertions"):
            form = urllib.parse.parse_qs(self.rfile.read(length).decode()) if length else {}
            if self.path == "/_assertions":
                with lock:
                    return self._json(200, {"assertions": state["assertions"]})
            if MODE == "jwt-refuse":
                return self._json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or "assertion" not in form:
                return self._json(400, {"error": "invalid_request", "error_description": "not a jwt-bearer grant"})
            with lock:
                state["assertions"].append(form["assertion"][0])
                token = "sa-token-%d" % len(state["assertions"])
            return self._json(200, {"access_token": token, "expires_in": COUNT or 3599, "token_type": "Bearer"})
        if MODE == "jwt":
            with lock:
                latest = "Bearer sa-token-%d" % len(state["assertions"])
            if self.headers.get("Authorization") != latest:
                self.rfile.read(length)
                return self._fail(401, "Invalid Credentials (injected)")
        with lock:
            state["requests"] += 1
            number = state["requests"]
        if MODE == "status-503" and number <= COUNT:
            self.rfile.read(length)
            return self._fail(503, "backend overloaded (injected)")
        if MODE == "status-403":
            self.rfile.read(length)
            return self._fail(403, "caller does not have storage.objects access (injected)")
        if MODE == "auth":
            if self.path.startswith("/computeMetadata/"):
                self.rfile.read(length)
                if self.headers.get("Metadata-Flavor") != "Google":
                    return self._fail(403, "missing Metadata-Flavor header")
                body = b'{"access_token": "test-token-123", "expires_in": 3599, "token_type": "Bearer"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if self.headers.get("Authorization") != "Bearer test-token-123":
                self.rfile.read(length)
                return self._fail(401, "Invalid Credentials (injected)")
        if MODE == "drop-upload" and self.command == "PUT" and length > 0:
            with lock:
                state["chunks"] += 1
                drop = state["chunks"] == 2 and not state["dropped"]
                state["dropped"] = state["dropped"] or drop
            if drop:
                self.rfile.read(length // 2)
                return self._drop()
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", TARGET_PORT, timeout=60)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in ("connection", "content-length", "transfer-encoding"):
                upstream.putheader(name, value)
        upstream.putheader("Content-Length", str(len(body or b"")))
        upstream.endheaders(body)
        response = upstream.getresponse()
        data = response.read()
        media = self.command == "GET" and "alt=media" in self.path and len(data) > 1
        if media and MODE == "flip-download":
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
            data = bytes(data)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if media and MODE in ("drop-download", "stall-download") and not state["dropped"]:
            state["dropped"] = True
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if MODE == "stall-download":
                time.sleep(30)
            return self._drop()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
