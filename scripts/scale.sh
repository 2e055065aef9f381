#!/usr/bin/env bash
# Scale report: for each synthetic network of shared/bench/peers.py (20k, 100k, 1m),
# import it through `pobratim import` (once; stores are kept in $STORES), then start the
# release server on it and measure: time to open and build the snapshot, resident
# memory, neighbours / 2-hop / shortest-path reads over HTTP with wrk, PageRank over
# HTTP (first call, then cached), one durable link write at a time (latency) and 32
# concurrent writers (group commit throughput); then, on a server that keeps no
# answers, 2-hop requests computed every time (as fast as they go, and paced at about
# 10,000 requests/s: PACE_MS, default 2). Writes a markdown table to
# target/scale/report.md.
#
#   scripts/scale.sh                    # 20k and 100k
#   SCALES="20k 100k 1m" scripts/scale.sh
#
# Needs wrk and python3 (the peers venv for `gen`: PEERS_PYTHON, default /tmp/peers/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh
SCALES=${SCALES:-"20k 100k"}
STORES=${STORES:-/tmp/pobratim-scale}
DURATION=${DURATION:-10s}
PEERS_PYTHON=${PEERS_PYTHON:-/tmp/peers/bin/python}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
cargo build --release --locked --quiet
bin=$PWD/target/release/pobratim
mkdir -p target/scale "$STORES"
report=target/scale/report.md
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
{
  echo "Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB; wrk -t2 -c16 -d$DURATION for reads, -c1 and -c32 for writes."
  echo
  echo "| scale | nodes | links | import | open (views warm) | RSS after open | neighbours req/s (p99) | 2-hop req/s (p99) | 2-hop nodes only req/s (p99) | 2-hop partner links (API defaults) req/s (p99) | shortest path req/s (p99) | PageRank first / cached | 1 writer p50 / p99 | 32 writers writes/s (p99) | RSS at end | 2-hop API defaults, computed every time: most req/s (p99); paced, -c36 (p99) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"

rss_mb() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }

for scale in $SCALES; do
  net=$STORES/net-$scale
  data=$STORES/$scale
  if [[ ! -f $net/nodes.csv ]]; then
    "$PEERS_PYTHON" ../shared/bench/peers.py gen --scale "$scale" --out "$net" >/dev/null
  fi
  import_note="(kept)"
  if [[ ! -d $data ]]; then
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$STORES/import-$scale.rss" \
      "$bin" import --data "$data" --format csv "$net/nodes.csv" "$net/edges.csv" >/dev/null 2>&1
    import_note=$(awk -v s="$start" -v e="$(date +%s.%N)" -v r="$(cat "$STORES/import-$scale.rss")" \
      'BEGIN {printf "%.0f s, %.0f MB", e - s, r / 1024}')
  fi
  "$bin" token revoke --data "$data" scale >/dev/null 2>&1 || true
  token=$("$bin" token create --data "$data" --name scale --scope write 2>/dev/null)
  log=$(mktemp)
  start=$(date +%s.%N)
  serve() { # extra serve options
    "$bin" serve --data "$data" --bind 127.0.0.1:0 --workers 2 --no-seed --write-rate 0 \
      --query-budget 600 "$@" >"$log" 2>&1 &
    server=$!
  }
  serve
  url=$(listening_url "$log" $server 3600)
  opened=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f s", e - s}')
  # The server builds its default views (and, for a network small enough, its layout)
  # in the background after it starts listening; wait for that (a steady-state server
  # has them) before measuring requests.
  while ! grep -q 'views warmed' "$log"; do sleep 0.1; done
  warmed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f s", e - s}')
  while ! grep -q 'layout warmed\|layout not warmed' "$log"; do sleep 0.1; done
  rss_open=$(rss_mb $server)
  counts=$(curl -s "$url/healthz" | python3 -c 'import json,sys; h=json.load(sys.stdin); print(h["nodes"], h["links"])')

  python3 - "$net/queries.json" "$token" >"$STORES/scale.lua" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
lua = lambda v: json.dumps(v).replace("[", "{").replace("]", "}")
print("sources = " + lua(q["khop_sources"]))
print("path_pairs = " + lua(q["shortest_path_pairs"]))
print(f'token = "{sys.argv[2]}"')
PY
  run() { # mode threads connections [pace ms]
    { echo "mode = \"$1\""; [[ -z ${4:-} ]] || echo "pace_ms = $4"; cat "$STORES/scale.lua" scripts/scale.lua; } >"$STORES/run.lua"
    wrk -t"$2" -c"$3" -d"$DURATION" -s "$STORES/run.lua" "$url" | grep '^RESULT' | tee -a "$STORES/results-$scale.txt"
  }
  # A server that just started reads its records from a cold cache (sled's and the
  # kernel's): each read mode first runs 3 s unmeasured, so the columns show a
  # running server (the first-run figures are in BENCHMARKS.md).
  warm() { # mode threads connections
    { echo "mode = \"$1\""; cat "$STORES/scale.lua" scripts/scale.lua; } >"$STORES/run.lua"
    wrk -t"$2" -c"$3" -d3s -s "$STORES/run.lua" "$url" >/dev/null
  }
  : >"$STORES/results-$scale.txt"
  fmt() { awk '{printf "%s (%s ms)", $3, $5}'; }
  warm neighbours 2 16
  neighbours=$(run neighbours 2 16 | fmt)
  warm twohop 2 16
  twohop=$(run twohop 2 16 | fmt)
  warm twohop_nodes 2 16
  twohop_nodes=$(run twohop_nodes 2 16 | fmt)
  warm twohop_partners 2 16
  twohop_partners=$(run twohop_partners 2 16 | fmt)
  warm path 2 16
  path=$(run path 2 16 | fmt)
  pr1=$(curl -s -o /dev/null -w '%{time_total}' "$url/api/v1/centrality/pagerank?limit=10&kinds=all&status=any")
  pr2=$(curl -s -o /dev/null -w '%{time_total}' "$url/api/v1/centrality/pagerank?limit=10&kinds=all&status=any")
  # 20,000 bench cities for the writes, in batches of 2,000 (once per store; a batch
  # already there is refused whole). 200 M pairs: a random pair is almost never taken.
  python3 - "$url" "$token" <<'PY'
import json, sys, urllib.request, urllib.error
url, token = sys.argv[1], sys.argv[2]
for start in range(0, 20000, 2000):
    ops = [{"op": "create_node", "node": {"kind": "city", "name": f"Bench {i}", "country": "AQ"}}
           for i in range(start, start + 2000)]
    request = urllib.request.Request(url + "/api/v1/batch", json.dumps({"operations": ops}).encode(),
        {"content-type": "application/json", "authorization": "Bearer " + token})
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
PY
  # The first durable writes after a start wait once for sled's deferred upkeep of a
  # large log (~0.2-0.5 s at 1M, logged as "slow flush"): write for 3 s first, so the
  # columns show a running server.
  warm write 1 1
  one=$(run write 1 1 | awk '{printf "%s / %s ms", $4, $5}')
  many=$(run write 2 32 | fmt)
  rss_end=$(rss_mb $server)
  kill $server; wait $server 2>/dev/null || true
  # The 2-hop answers above may come from the answer cache (the 1,000 sources repeat):
  # the same requests on a server that keeps no answers, once as fast as they go and
  # once paced (each of 36 connections waits PACE_MS, whole milliseconds, after each
  # answer: about 10,000 requests/s on this machine), for the latency at the rate the
  # issue names.
  serve --answer-cache-mb 0
  url=$(listening_url "$log" $server 3600)
  while ! grep -q 'layout warmed\|layout not warmed' "$log"; do sleep 0.1; done
  warm twohop_partners 2 16
  computed=$(run twohop_partners 2 16 | fmt)
  computed_paced=$(run twohop_partners 2 36 "${PACE_MS:-2}" | fmt)
  kill $server; wait $server 2>/dev/null || true
  read -r nodes links <<<"$counts"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f s / %.3f s | %s | %s | %s | %s; %s |\n' \
    "$scale" "$nodes" "$links" "$import_note" "$opened ($warmed)" "$rss_open" "$neighbours" "$twohop" "$twohop_nodes" "$twohop_partners" "$path" \
    "$pr1" "$pr2" "$one" "$many" "$rss_end" "$computed" "$computed_paced" >>"$report"
  rm -f "$log"
done
cat "$report"
