#!/usr/bin/env bash
# Every test, on a fresh machine too: installs what the browser test needs when it is
# missing (Debian's chromium and CJK fonts; the npm packages of package-lock.json), checks that the
# vendored front-end libraries are the lockfile's, then runs `cargo test --locked` and
# the schemathesis conformance run (scripts/conformance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test needs Chromium, and fonts with Chinese, Japanese and Korean glyphs so
# that its screenshots show the names a user sees (it checks they are not boxes).
missing=()
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || missing+=(chromium)
[[ -n "$(fc-list :lang=ja 2>/dev/null)" && -n "$(fc-list :lang=ko 2>/dev/null)" ]] || missing+=(fonts-noto-cjk)
if (( ${#missing[@]} )); then
  if [[ "$(id -u)" == 0 ]]; then
    echo "== installing Debian's ${missing[*]} for the browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "the browser test needs: sudo apt-get install ${missing[*]} (or set CHROMIUM)" >&2
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
