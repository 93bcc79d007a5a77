#!/usr/bin/env bash
# One kernel-matrix run, inside a VM booted by scripts/kernels.sh (or on the host itself):
#   guest.sh ENTRY OUT [--kernel-suite]
# Mounts what the agent needs, runs test/kernels/ (and with --kernel-suite the whole
# test/kernel/ suite) with CI=true, and writes OUT/{facts.json,conformance.json,kernel-suite.json,
# *.log,done}. The VM shares this machine's root filesystem read-only: everything it writes goes
# to OUT (a --rwdir of the VM) or to a tmpfs.
set -uo pipefail
entry=$1 out=$2 suite=${3:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
if [ "$entry" != host ]; then
  mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
  mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
  mountpoint -q /sys/kernel/security || mount -t securityfs none /sys/kernel/security
  ip link set lo up 2>/dev/null || true
  # Temporary files on tmpfs (/run), not on virtme's overlay of /tmp: overlayfs checks each
  # capability twice per chown (once for itself, once for the upper filesystem), which the
  # capability tests count. /tmp itself may hold this checkout.
  export TMPDIR=/run/oa-tmp HOME=/run/oa-home
  mkdir -p "$TMPDIR" "$HOME"
fi
export CI=true OTELARMOR_MATRIX_ENTRY=$entry OTELARMOR_MATRIX_OUT=$out
cd "$here"
lsm=$(cat /sys/kernel/security/lsm 2>/dev/null || echo "")
printf '{"entry":"%s","release":"%s","lsm":"%s","started":%s}\n' "$entry" "$(uname -r)" "$lsm" "$(date +%s)" > "$out/facts.json"
mocha() { # name spec...
  local name=$1
  shift
  node node_modules/.bin/mocha --no-config --timeout 300000 --exit --reporter json \
    --reporter-option "output=$out/$name.json" "$@" > "$out/$name.log" 2>&1
  echo "$name rc=$?" >> "$out/done"
}
: > "$out/done"
mocha conformance dist/test/kernels/*.test.js
if [ "$suite" = --kernel-suite ]; then mocha kernel-suite dist/test/kernel/*.test.js; fi
echo "finished $(date +%s)" >> "$out/done"
