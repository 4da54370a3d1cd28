"""Run inside a sandbox by the egress tests: each case prints one line saying what happened."""

import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.request

no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# "proxy" asks the gateway's proxy for every address, loopback included: NO_PROXY (the
# sandbox's own loopback bypasses the proxy) is set aside for it.
for name in ("NO_PROXY", "no_proxy"):
    os.environ.pop(name, None)
via_proxy = urllib.request.build_opener()


def fetch(opener, url, cafile=None):
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=context),
        )
    try:
        with opener.open(url, timeout=10) as reply:
            return "ok " + reply.read().decode()
    except urllib.error.HTTPError as error:
        return f"status {error.code}"
    except Exception as error:  # noqa: BLE001 - the kind of failure is the answer
        return "error " + type(error).__name__


def connect(host, port):
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return "connected"
    except Exception as error:  # noqa: BLE001
        return "error " + type(error).__name__


def sni(address, name):
    """TLS to ``address`` naming ``name``: the gateway decides by the name alone."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((address, 443), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name),
        ):
            return "handshake"
    except Exception as error:  # noqa: BLE001
        return "error " + type(error).__name__


def dns_direct(server):
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    try:
        sock.sendto(query, (server, 53))
        sock.recvfrom(512)
        return "answered"
    except Exception as error:  # noqa: BLE001
        return "error " + type(error).__name__


def keepalive(host, phase_file, go_file):
    conn = http.client.HTTPConnection(host, 80, timeout=10)
    conn.request("GET", "/first")
    first = conn.getresponse()
    results = [first.status, first.read().decode()]
    with open(phase_file, "w") as phase:
        phase.write("first done")
    while not os.path.exists(go_file):
        time.sleep(0.05)
    conn.request("GET", "/second")
    second = conn.getresponse()
    results += [second.status, second.read().decode()]
    return json.dumps(results)


case, *args = sys.argv[1:]
if case == "http":
    print(fetch(no_proxy, args[0]))
elif case == "https":
    print(fetch(no_proxy, args[0], cafile=args[1]))
elif case == "proxy":
    print(fetch(via_proxy, args[0]))
elif case == "resolve":
    try:
        print("resolved " + socket.gethostbyname(args[0]))
    except Exception as error:  # noqa: BLE001
        print("error " + type(error).__name__)
elif case == "connect":
    print(connect(args[0], args[1]))
elif case == "sni":
    print(sni(*args))
elif case == "dns":
    print(dns_direct(args[0]))
elif case == "keepalive":
    print(keepalive(*args))
