// Container identity as the Kubernetes API reports it and as the kernel sees it.
//  - status.containerStatuses[].containerID is "<runtime>://<id>": containerd://, cri-o://, docker://
//    (cri-dockerd), podman:// (CRI-compatible podman setups); the id is 64 lowercase hex digits.
//  - The same id appears in the container's cgroup v2 path: containerd "cri-containerd-<id>.scope"
//    (systemd driver) or ".../<id>" (cgroupfs driver), CRI-O "crio-<id>.scope", Docker
//    "docker-<id>.scope" or "/docker/<id>", Podman "libpod-<id>.scope" (plus "libpod-conmon-<id>.scope"
//    for its monitor process, which is not the container).

import { readdirSync, readFileSync, statSync } from 'node:fs';

const HEX64 = /^[0-9a-f]{64}$/;

/** "containerd://<64hex>" (any scheme) → "<64hex>"; undefined when the value carries no such id. */
export function containerIdFromStatus(containerID: string | undefined | null): string | undefined {
  if (!containerID) return undefined;
  const i = containerID.indexOf('://');
  const id = (i >= 0 ? containerID.slice(i + 3) : containerID).toLowerCase();
  return HEX64.test(id) ? id : undefined;
}

/** The container id in a cgroup path (/proc/<pid>/cgroup line or a /sys/fs/cgroup path); undefined for host cgroups. */
export function containerIdFromCgroupPath(cgroupPath: string): string | undefined {
  const parts = cgroupPath.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const seg = parts[i]!;
    if (seg.startsWith('libpod-conmon-')) continue;
    const m = /^(?:cri-containerd-|crio-|docker-|libpod-)?([0-9a-f]{64})(?:\.scope)?$/.exec(seg);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * KubeArmor ContainerImage: "<image>@sha256:<digest>" (§3.1). The digest comes from status.imageID,
 * whose form depends on the runtime: "docker.io/library/nginx@sha256:…" (containerd, CRI-O),
 * "docker-pullable://nginx@sha256:…" (dockershim/cri-dockerd), or a bare "sha256:…" image id
 * (locally built images without a registry digest). `image` already carrying a digest is kept.
 */
export function imageWithDigest(image: string | undefined, imageID: string | undefined): string {
  const img = image ?? '';
  if (img.includes('@sha256:')) return img;
  const m = /sha256:[0-9a-f]{64}/.exec(imageID ?? '');
  if (!m) return img;
  return img === '' ? m[0] : `${img}@${m[0]}`;
}

export interface ContainerNamespaces { pidNs: number; mntNs: number }

/**
 * Scans <procRoot>/<pid>/cgroup (hostPID: the host's processes) and returns, for every container
 * found, the inode numbers of the pid and mnt namespaces of one of its processes (/proc/<pid>/ns/*
 * are symlinks "pid:[<inode>]"; stat() follows them to the nsfs inode) — the {pid_ns, mnt_ns} key
 * the kernel visibility map uses (§3.11). Processes that vanish mid-scan are skipped.
 */
export function scanContainerNamespaces(procRoot = '/proc'): Map<string, ContainerNamespaces> {
  const out = new Map<string, ContainerNamespaces>();
  let pids: string[];
  try { pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d)); } catch { return out; }
  for (const pid of pids) {
    try {
      const cg = readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8');
      let id: string | undefined;
      for (const line of cg.split('\n')) if ((id = containerIdFromCgroupPath(line.slice(line.lastIndexOf(':') + 1)))) break;
      if (!id || out.has(id)) continue;
      out.set(id, { pidNs: statSync(`${procRoot}/${pid}/ns/pid`).ino, mntNs: statSync(`${procRoot}/${pid}/ns/mnt`).ino });
    } catch { /* process exited or not readable */ }
  }
  return out;
}
