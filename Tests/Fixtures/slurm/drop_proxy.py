#!/usr/bin/env python3
"""A loopback TCP proxy in front of the real slurmrestd that drops connections the way
slurmrestd itself sometimes does under parallel requests ("connection invalid" in its log):
the request is read, never answered, and the connection is reset. Binds 127.0.0.1 only;
prints its port on stdout.

  drop_proxy.py TARGET_PORT PATTERN COUNT LOG
    the first COUNT requests whose request line matches the regular expression PATTERN are
    dropped; every other request is forwarded. Each request's fate is appended to LOG as
    "dropped <request line>" or "forwarded <request line>".
"""
import re
import socket
import struct
import sys
import threading

TARGET_PORT = int(sys.argv[1])
PATTERN = re.compile(sys.argv[2])
COUNT = int(sys.argv[3])
LOG = sys.argv[4]
state = {"dropped": 0}
lock = threading.Lock()


def note(fate, line):
    with lock, open(LOG, "a") as log:
        log.write("%s %s\n" % (fate, line))


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def serve(client):
    head = b""
    while b"\r\n\r\n" not in head:
        data = client.recv(65536)
        if not data:
            client.close()
            return
        head += data
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    with lock:
        drop = PATTERN.search(line) is not None and state["dropped"] < COUNT
        if drop:
            state["dropped"] += 1
    if drop:
        note("dropped", line)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        return
    note("forwarded", line)
    upstream = socket.create_connection(("127.0.0.1", TARGET_PORT))
    upstream.sendall(head)
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
