#!/usr/bin/env bash
# The kernel matrix (npm run test:kernels): boots each VM entry of test/kernels/matrix.ts with
# virtme-ng over this machine's root filesystem (the same build, node and test programs), runs
# test/kernels/guest.sh inside, runs it on the host too, then writes the report
# (dist/scripts/kernels-report.js: .kernels/kernels.md, docs/kernels.md with
# OTELARMOR_UPDATE_DOCS=1) and fails when any entry failed.
#   OTELARMOR_KERNELS="6.1-bpflsm host"  run only these entries (default: all, host last)
#   OTELARMOR_VM_ACCEL=kvm|tcg|auto      auto: KVM when a short KVM boot works here (cached)
#   OTELARMOR_KERNEL_SUITE=0             skip the test/kernel suite in the VMs (iterating on test/kernels)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/versions.env
cache=${OTELARMOR_CACHE:-$HOME/.cache/otelarmor}
vng=$cache/virtme-ng-$VIRTME_NG_VERSION/bin/vng
out=$here/.kernels
log() { printf 'kernels: %s\n' "$*" >&2; }
[ -x "$vng" ] || { log "virtme-ng missing ($vng): run bash scripts/setup.sh"; exit 1; }
export PATH=$(dirname "$vng"):$PATH

# name package bpfLsm kernelSuite lsmList, one entry per line.
entries=$(node -e '
const m = require("./dist/test/kernels/matrix.js");
for (const e of m.MATRIX) console.log([e.name, e.package, e.bpfLsm, e.kernelSuite, m.lsmList(e)].join(" "));')
want=${OTELARMOR_KERNELS:-$(echo "$entries" | cut -d' ' -f1 | tr '\n' ' ') host}

# Kernel release of a Debian kernel (meta-)package: the linux-image-<release> it depends on.
release_of() {
  local dep
  dep=$(dpkg-query -W -f='${Depends}' "$1" 2>/dev/null | grep -o 'linux-image-[0-9][^ ,]*' | head -1)
  [ -n "$dep" ] || { log "package $1 is not installed: run bash scripts/setup.sh"; return 1; }
  echo "${dep#linux-image-}"
}

accel=${OTELARMOR_VM_ACCEL:-auto}
if [ "$accel" = auto ]; then
  stamp=$cache/vm-accel-$(uname -r)
  if [ -f "$stamp" ]; then
    accel=$(cat "$stamp")
  elif [ -w /dev/kvm ]; then
    # A KVM guest hangs right after the boot loader on some hosts (this project's CI machine):
    # one short trial boot decides, and the verdict is kept for this host kernel.
    k=$(release_of linux-image-amd64)
    if timeout 120 vng -r "$k" --force-9p --memory 1G --cpus 1 -e true >/dev/null 2>&1; then accel=kvm; else accel=tcg; fi
    echo "$accel" > "$stamp"
  else
    accel=tcg
  fi
fi
vmflags=()
cpus=2
if [ "$accel" = tcg ]; then vmflags+=(--disable-kvm); cpus=1; fi
log "VMs use $accel, $cpus vCPU(s)"

mkdir -p "$out"
rc=0
for name in $want; do
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  if [ "$name" = host ]; then
    log "host ($(uname -r))"
    bash test/kernels/guest.sh host "$out/host" || rc=1
    continue
  fi
  line=$(echo "$entries" | awk -v n="$name" '$1 == n')
  [ -n "$line" ] || { log "no matrix entry $name"; rc=1; continue; }
  read -r _ pkg _ suite lsm <<< "$line"
  rel=$(release_of "$pkg") || { rc=1; continue; }
  extra=""
  [ "$suite" = true ] && [ "${OTELARMOR_KERNEL_SUITE:-1}" != 0 ] && extra=--kernel-suite
  log "$name: $rel, lsm=$lsm"
  echo "$accel" > "$out/$name/accel"
  start=$(date +%s)
  # The guest writes only to $out/$name (read-write 9p); 40 minutes is far beyond a TCG run.
  # One vCPU: under multi-threaded TCG a kernel text patch (a static key flipped when a
  # tracepoint program is attached or detached) races with the other vCPU still running the
  # translated old code; 6.12 died of "Oops: int3 ... do_exit" in the kernel suite that way.
  timeout 2400 vng --verbose "${vmflags[@]}" -r "$rel" --force-9p --memory 4G --cpus "$cpus" --rwdir "$out/$name" \
    --append "lsm=$lsm" -e "bash $here/test/kernels/guest.sh $name $out/$name $extra" \
    > "$out/$name/console.log" 2>&1 || { log "$name: VM exited with $?"; rc=1; }
  log "$name: $(($(date +%s) - start)) s"
done
node dist/scripts/kernels-report.js "$out" || rc=1
exit $rc
