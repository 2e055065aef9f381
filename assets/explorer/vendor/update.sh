#!/usr/bin/env bash
# Copies the explorer's libraries from node_modules (installed from the committed
# package-lock.json by `npm ci`) into this folder, which the binary embeds.
# `--check` only compares, failing when a vendored file differs from the lockfile's.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
here="$root/assets/explorer/vendor"
files=(
  "node_modules/cytoscape/dist/cytoscape.min.js:cytoscape.min.js"
  "node_modules/topojson-client/dist/topojson-client.min.js:topojson-client.min.js"
  "node_modules/world-atlas/countries-110m.json:countries-110m.json"
  "node_modules/graphology/dist/graphology.umd.min.js:graphology.umd.min.js"
  "node_modules/sigma/dist/sigma.min.js:sigma.min.js"
)
status=0
for pair in "${files[@]}"; do
  from="$root/${pair%%:*}"
  to="$here/${pair##*:}"
  if [[ "${1:-}" == "--check" ]]; then
    if ! cmp -s "$from" "$to"; then
      echo "vendored ${pair##*:} differs from ${pair%%:*} (run assets/explorer/vendor/update.sh)"
      status=1
    fi
  else
    cp "$from" "$to"
  fi
done
[[ "${1:-}" == "--check" && $status == 0 ]] && echo "vendored explorer libraries match package-lock.json"
exit $status
