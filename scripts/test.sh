#!/usr/bin/env bash
# The test command (README, .ci/run): set up/build (idempotent), every mocha suite, then the
# kernel matrix (scripts/kernels.sh; skipped when mocha is given arguments).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
rc=0
npx mocha "$@" || rc=$?
# The kernel matrix (docs/kernels.md): every kernel users run, in a VM, and this one.
if [ $# -eq 0 ]; then bash scripts/kernels.sh || rc=1; fi
exit $rc
