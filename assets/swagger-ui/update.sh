#!/usr/bin/env bash
# Refreshes the vendored Swagger UI from the npm package swagger-ui-dist.
# Usage: assets/swagger-ui/update.sh [VERSION]   (default: the version below)
set -euo pipefail
version="${1:-5.35.0}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "swagger-ui-dist@$version" >/dev/null && tar xzf "swagger-ui-dist-$version.tgz")
for file in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt favicon-32x32.png; do
  cp "$work/package/$file" "$here/$file"
done
sed -i "s/^swagger-ui-dist .*/swagger-ui-dist $version (npm)/" "$here/VENDORED.md"
echo "vendored swagger-ui-dist $version"
