#!/usr/bin/env bash
# Installs and builds everything otelarmor needs on a fresh Debian machine, as root. Idempotent:
# each step is skipped when its result is already there.
#   Debian packages → kernel mounts → npm ci → Go tools (cached in ~/.cache/otelarmor) → build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log() { printf 'setup: %s\n' "$*" >&2; }

APT_PACKAGES=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config build-essential make
  prometheus podman iproute2 util-linux netcat-openbsd
  # Kernel matrix (scripts/kernels.sh): QEMU, busybox for virtme-ng's initramfs, the kernels the
  # matrix boots (Debian 12's 6.1 LTS and 6.12; the meta-packages follow their updates), and
  # python3-venv for virtme-ng.
  qemu-system-x86 busybox-static linux-image-amd64 linux-image-6.12-amd64 python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian prometheus package starts a system service on :9090; the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

# Kernel facilities the agent uses: tracefs (tracepoint ids), bpffs, cgroup v2 (sock_addr hooks).
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || log "warning: could not mount tracefs"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || log "warning: could not mount bpffs"

stamp=node_modules/.otelarmor-lock
want=$(sha256sum package-lock.json | cut -c1-64)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >/dev/null
  echo "$want" > "$stamp"
fi

bash scripts/go-tools.sh

# virtme-ng (boots the kernel-matrix VMs over this root filesystem), in a venv keyed by version.
. scripts/versions.env
venv=${OTELARMOR_CACHE:-$HOME/.cache/otelarmor}/virtme-ng-$VIRTME_NG_VERSION
if [ ! -x "$venv/bin/vng" ]; then
  log "installing virtme-ng $VIRTME_NG_VERSION"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "virtme-ng==$VIRTME_NG_VERSION"
fi

log "building (bpf, native addon, TypeScript, Rego pack)"
npm run --silent build
