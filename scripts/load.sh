#!/usr/bin/env bash
# Scripted load run: a release server on loopback over the real twin-town network
# (shared/data/twins/links.csv, 17,232 cities / 24,891 links), wrk mixing neighbourhood,
# shortest-path and search reads with authenticated writes, while exact betweenness runs
# back to back on the same server. Prints wrk's report (throughput, latency percentiles)
# and the answers by status; errors must be 0.
#
#   scripts/load.sh                     # 30 s, 2 threads, 16 connections
#   DURATION=60s CONNECTIONS=32 scripts/load.sh
#
# Needs wrk (Debian: apt-get install wrk) and python3; builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
DURATION=${DURATION:-30s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
NETWORK=${NETWORK:-../shared/data/twins/links.csv}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }

cargo build --release --locked --quiet
bin=target/release/pobratim
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

$bin import --data "$work/data" --format edge-list "$NETWORK" >/dev/null 2>&1
token=$($bin token create --data "$work/data" --name load-writer --scope write 2>/dev/null)
$bin serve --data "$work/data" --bind 127.0.0.1:0 --workers 2 --write-rate 0 \
  --query-budget 600 >"$work/server.log" 2>&1 &
url=$(listening_url "$work/server.log" $!)

# Cities of the largest component: the ego network of the best-connected city.
python3 - "$url" "$token" "${WRITE_PERCENT:-5}" >"$work/load.lua" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
get = lambda path: json.load(urllib.request.urlopen(url + path))
hub = get("/api/v1/centrality/degree?limit=1")["items"][0]["node"]["id"]
ego = get(f"/api/v1/nodes/{hub}/neighbourhood?depth=3&limit=2000")
ids = [n["node"]["id"] for n in ego["nodes"]][:1500]
names = sorted({n["node"]["name"][:3] for n in ego["nodes"] if n["node"].get("name")})[:300]
lua = open("scripts/load.lua").read()
print("ids = " + json.dumps(ids).replace("[", "{").replace("]", "}"))
print("prefixes = " + json.dumps(names, ensure_ascii=False).replace("[", "{").replace("]", "}"))
print(f'token = "{token}"')
print(f'write_percent = {float(sys.argv[3])}')
print(lua)
PY

# Exact betweenness, back to back, for the whole run (BETWEENNESS=0: without it).
(
  while [[ "${BETWEENNESS:-1}" != 0 ]]; do
    curl -s -o /dev/null -w 'betweenness (exact): %{http_code} in %{time_total} s\n' \
      "$url/api/v1/centrality/betweenness?limit=5" >>"$work/betweenness.log" || break
  done
) &
sleep 1
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION against $url ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/load.lua" "$url"
echo "== exact betweenness while the load ran"
cat "$work/betweenness.log" 2>/dev/null || echo "(none finished within the run)"
