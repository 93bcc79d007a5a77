#!/usr/bin/env bash
# Compiles the default Rego rule pack (policies/rego) into dist/rules/default-bundle.tar.gz with opa.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$(ls "$here"/policies/rego/*.rego 2>/dev/null)" ] || exit 0
exec node "$here/dist/src/cmd/rules.js" build "$here/policies/rego" -o "$here/dist/rules/default-bundle.tar.gz"
