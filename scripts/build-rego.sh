#!/usr/bin/env bash
# Compiles the default Rego rule pack (policies/rego) into dist/rules/default-bundle.tar.gz with
# `otelarmor rules build` (opa build -t wasm). The bundle is cached in ~/.cache/otelarmor/rego/
# keyed by the pack's sources, the build module and the opa version: opa's wasm compilation of the
# whole pack is slow, and its output depends on nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$(ls "$here"/policies/rego/*.rego 2>/dev/null)" ] || exit 0
. "$here/scripts/versions.env"
cache=${OTELARMOR_CACHE:-$HOME/.cache/otelarmor}/rego
key=$( (cd "$here" && cat policies/rego/*.rego dist/src/rego/*.js; echo "$OPA_VERSION") | sha256sum | cut -c1-16)
out="$here/dist/rules/default-bundle.tar.gz"
mkdir -p "$cache" "$(dirname "$out")"
if [ ! -s "$cache/$key.tar.gz" ]; then
  node "$here/dist/src/cli.js" rules build "$here/policies/rego" -o "$cache/$key.tar.gz.tmp"
  mv "$cache/$key.tar.gz.tmp" "$cache/$key.tar.gz"
fi
cp "$cache/$key.tar.gz" "$out"
