"""Run inside a sandbox by the secrets test: requests carrying the API_TOKEN placeholder.

Prints one JSON object: what each origin saw (its reply) or the error met.
"""

import json
import os
import urllib.request

token = os.environ["API_TOKEN"]
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# HTTPS_PROXY is set in the sandbox: this one goes through the gateway's proxy (CONNECT).
proxied = urllib.request.build_opener()


def get(opener, url):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.read().decode()
    except urllib.error.HTTPError as error:
        return f"status {error.code}"
    except Exception as error:  # noqa: BLE001 - the kind of failure is the answer
        return f"error {type(error).__name__} {error}"


print(
    json.dumps(
        {
            "https": get(direct, f"https://api.test/s?key={token}"),
            "proxy": get(proxied, f"https://api.test/p?key={token}"),
            "http": get(direct, f"http://api.test/h?key={token}"),
            "other": get(direct, "http://other.test/o"),
        }
    )
)
