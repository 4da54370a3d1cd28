/**
 * Python run inside splunk sandboxes (python3 -c): the credentials come from
 * the sandbox's environment, never from the command line, where the process
 * list would show them. SPLUNK_MGMT_URL (default http://127.0.0.1:8089)
 * can point at HTTPS; a certificate is then checked except on loopback,
 * where Splunk's own is self-signed.
 */
const PRELUDE = `
import base64, json, os, ssl, sys, urllib.error, urllib.parse, urllib.request
base = os.environ.get("SPLUNK_MGMT_URL", "http://127.0.0.1:8089").rstrip("/")
context = None
if base.startswith("https://") and urllib.parse.urlsplit(base).hostname in ("127.0.0.1", "localhost", "::1"):
    context = ssl._create_unverified_context()
`

/** Exits 0 once the management port answers HTTP at all (401 included). */
export const READINESS_SCRIPT = `${PRELUDE}
try:
    urllib.request.urlopen(base + "/services/server/info", timeout=2, context=context)
except urllib.error.HTTPError:
    pass
`

/** Exit status of the search script when Splunk answered an HTTP error. */
export const EXIT_HTTP_ERROR = 3
/** Exit status of the search script when Splunk could not be reached. */
export const EXIT_UNREACHABLE = 4
/** Exit status of the search script when Splunk did not answer within the search's timeout. */
export const EXIT_TIMED_OUT = 5

/**
 * \`python3 -c SEARCH_SCRIPT <query> <timeout seconds>\`: streams
 * \`POST /services/search/jobs/export\` (output_mode=json) and prints
 * {"results": [...]} (every line's "result"), or {"status", "body"} with
 * exit status 3 (HTTP error) or 4 (unreachable).
 */
export const SEARCH_SCRIPT = `${PRELUDE}
query, timeout = sys.argv[1], float(sys.argv[2])
if not (query.startswith("search") or query.startswith("|")):
    query = "search " + query
user = os.environ.get("SPLUNK_USERNAME", "")
password = os.environ.get("SPLUNK_PASSWORD", "")
request = urllib.request.Request(
    base + "/services/search/jobs/export",
    data=urllib.parse.urlencode({"search": query, "output_mode": "json"}).encode(),
    headers={
        "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    },
)
results = []
try:
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        for line in response:
            line = line.strip()
            if line:
                item = json.loads(line)
                if isinstance(item, dict) and isinstance(item.get("result"), dict):
                    results.append(item["result"])
except urllib.error.HTTPError as error:
    json.dump({"status": error.code, "body": error.read(4096).decode("utf-8", "replace")}, sys.stdout)
    sys.exit(${EXIT_HTTP_ERROR})
except OSError as error:
    reason = getattr(error, "reason", error)
    json.dump({"status": None, "body": str(reason)}, sys.stdout)
    sys.exit(${EXIT_TIMED_OUT} if isinstance(reason, TimeoutError) else ${EXIT_UNREACHABLE})
json.dump({"results": results}, sys.stdout)
`
