#!/usr/bin/env bash
# The test command (README, .ci/run): set up/build (idempotent), then every mocha suite.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
exec npx mocha "$@"
