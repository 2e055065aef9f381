#!/usr/bin/env bash
# Every test, on a fresh machine too: installs what the browser test needs when it is
# missing (Debian's chromium; the npm packages of package-lock.json), checks that the
# vendored front-end libraries are the lockfile's, then runs `cargo test --locked` and
# the schemathesis conformance run (scripts/conformance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    echo "== installing Debian's chromium for the browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "the browser test needs Chromium: sudo apt-get install chromium (or set CHROMIUM)" >&2
    exit 1
  fi
fi
if [[ ! -d node_modules/playwright-core ]] || ! npm ls --silent >/dev/null 2>&1; then
  echo "== npm ci (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
assets/explorer/vendor/update.sh --check

# Here the browser test may not skip for want of Chromium or playwright-core.
POBRATIM_REQUIRE_BROWSER=1 cargo test --locked "$@"
scripts/conformance.sh
