"""The egress benchmark's client, run inside a sandbox (python3 of the template).

    latency <http|https> <address|-> <count> <keepalive 0|1> [cafile]
        GET /small `count` times in a row, after 10 untimed; prints the
        milliseconds of each as a JSON list. Keep-alive off: a new connection
        per request (connect, TLS handshake, request, reply, close); on: one
        connection for them all.
    download <http|https> <address|-> <bytes> [cafile]
        GET /bytes/<bytes> read to the end; prints the seconds it took,
        from before the connection to the last byte.

The name asked for is always origin.bench.test (Host header and TLS server
name). `-` resolves it here once, before timing (behind the gateway: to the
gateway); an address dials that address instead (the bridge sandbox, which
has no name for the origin). One process does all the requests of a call,
so no process start is timed.
"""

import http.client
import json
import socket
import ssl
import sys
import time

NAME = "origin.bench.test"


def connection(scheme, address, cafile=None):
    """A connection to NAME that dials `address` (Host and SNI stay NAME)."""
    if scheme == "https":
        context = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection(NAME, 443, context=context)
    else:
        conn = http.client.HTTPConnection(NAME, 80)
    port = conn.port

    def dial(_target, timeout=None, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    conn._create_connection = dial
    return conn


def get(conn, path, close):
    conn.request("GET", path, headers={"Connection": "close"} if close else {})
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise SystemExit(f"{path}: {reply.status} {body[:200]!r}")
    return body


def latency(scheme, address, count, keepalive, cafile):
    samples = []
    conn = connection(scheme, address, cafile) if keepalive else None
    for i in range(count + 10):
        started = time.perf_counter()
        if keepalive:
            get(conn, "/small", False)
        else:
            one = connection(scheme, address, cafile)
            get(one, "/small", True)
            one.close()
        if i >= 10:
            samples.append((time.perf_counter() - started) * 1000)
    if conn:
        conn.close()
    print(json.dumps(samples))


def download(scheme, address, size, cafile):
    buffer = bytearray(2**20)
    view = memoryview(buffer)
    started = time.perf_counter()
    conn = connection(scheme, address, cafile)
    conn.request("GET", f"/bytes/{size}", headers={"Connection": "close"})
    reply = conn.getresponse()
    received = 0
    while True:
        n = reply.readinto(view)
        if not n:
            break
        received += n
    seconds = time.perf_counter() - started
    conn.close()
    if reply.status != 200 or received != size:
        raise SystemExit(f"download: status {reply.status}, {received} of {size} bytes")
    print(json.dumps(seconds))


def main():
    mode, scheme, target, number = sys.argv[1:5]
    address = socket.gethostbyname(NAME) if target == "-" else target
    if mode == "latency":
        cafile = sys.argv[6] if len(sys.argv) > 6 else None
        latency(scheme, address, int(number), sys.argv[5] == "1", cafile)
    else:
        cafile = sys.argv[5] if len(sys.argv) > 5 else None
        download(scheme, address, int(number), cafile)


main()
