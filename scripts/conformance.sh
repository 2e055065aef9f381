#!/usr/bin/env bash
# Conformance of the live server to the committed OpenAPI document, with schemathesis
# (pinned, installed into target/venv-schemathesis on first use): a seeded server on a
# free loopback port, a fixed seed, a bounded number of examples per operation, the
# stateful phase following the document's links. It must find no 5xx, no response that
# violates the document (status code, content type, headers, body schema), and a 405
# with `Allow` for every undeclared method.
#
# `positive_data_acceptance` and `negative_data_rejection` run too: a request the document
# allows is taken (or refused by a rule between fields or against the store, with 422:
# see scripts/schemathesis.toml), and one it forbids is refused.
# POST /api/v1/import is excluded because schemathesis 4.32.5 stops with an internal
# error while generating its octet-stream bodies.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serve.sh

venv=target/venv-schemathesis
if [[ ! -x "$venv/bin/schemathesis" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
cargo build --locked --quiet
work=$(mktemp -d)
# Writes need a token: an admin token for the run, so every operation is reachable.
# Revoking tokens is left out: a generated call could revoke the run's own token.
token=$(target/debug/pobratim token create --data "$work/data" --name schemathesis --scope admin 2>/dev/null)
POBRATIM_LOG=info target/debug/pobratim serve --data "$work/data" --bind 127.0.0.1:0 --write-rate 0 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
url=$(listening_url "$work/server.log" $server)
echo "== schemathesis against $url"
# Run as outside CI, and without an example database: with CI set (Hypothesis's CI
# profile) or with examples replayed from earlier runs in .hypothesis/, the fuzzing
# phase has spun for minutes on this document (it finishes in ~20 s otherwise); with
# `--seed 1` and no database, every run is the same, here and in a fresh clone. One
# worker: with two, Hypothesis's lambda descriptions call `ast.parse` from two threads
# at once, which CPython 3.11 can fail ("AST constructor recursion depth mismatch").
env -u CI "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run openapi/openapi.json --url "$url" \
  --max-examples 25 --seed 1 --workers 1 --suppress-health-check=too_slow \
  --generation-database none \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,positive_data_acceptance,negative_data_rejection \
  --exclude-path /api/v1/import \
  --exclude-path /api/v1/admin/tokens/{name} \
  --header "Authorization: Bearer $token" \
  --no-color
