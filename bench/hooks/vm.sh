#!/usr/bin/env bash
# Runs bench/hooks in a kernel-matrix VM: bash bench/hooks/vm.sh <kernel release> [iterations]
# [rounds] (e.g. 6.12.118+deb12-amd64), booted with BPF-LSM so every hook kind can load. Under
# TCG only the ratios and instruction counts it prints mean anything.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/versions.env"
vng=${OTELARMOR_CACHE:-$HOME/.cache/otelarmor}/virtme-ng-$VIRTME_NG_VERSION/bin/vng
export PATH=$(dirname "$vng"):$PATH
make -s -C "$here/bench/hooks"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One vCPU under TCG (scripts/kernels.sh says why).
vng --disable-kvm -r "$1" --force-9p --memory 4G --cpus 1 --rwdir "$out" \
  --append "lsm=lockdown,capability,landlock,bpf" \
  -e "mount -t tracefs nodev /sys/kernel/tracing; mount -t bpf bpf /sys/fs/bpf; cd $here && node dist/bench/hooks/run.js ${2:-20000} ${3:-3} > $out/result 2>&1" >/dev/null 2>&1 || true
cat "$out/result"
