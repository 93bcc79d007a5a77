// Container identity as the Kubernetes API reports it and as the kernel sees it.
//  - status.containerStatuses[].containerID is "<runtime>://<id>": containerd://, cri-o://, docker://
//    (cri-dockerd), podman:// (CRI-compatible podman setups); the id is 64 lowercase hex digits.
//  - The same id appears in the container's cgroup path: containerd "cri-containerd-<id>.scope"
//    (systemd driver) or ".../<id>" (cgroupfs driver), CRI-O "crio-<id>.scope", Docker
//    "docker-<id>.scope" or "/docker/<id>", Podman "libpod-<id>.scope" (plus "libpod-conmon-<id>.scope"
//    for its monitor process, which is not the container). One parser for both the enrichment and
//    the pod watcher: src/sensors/containers.ts.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { containerFromCgroupFile, containerFromCgroupPath } from '../sensors/containers';

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
  return containerFromCgroupPath(cgroupPath)?.id;
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

/** /proc/<pid>/ns/<name> is a symlink "<name>:[<inode>]": the nsfs inode of the namespace. */
function nsInode(link: string): number {
  const m = /:\[(\d+)\]$/.exec(readlinkSync(link));
  if (!m) throw new Error(`${link}: not a namespace link`);
  return Number(m[1]);
}

/**
 * Scans <procRoot>/<pid>/cgroup (hostPID: the host's processes) and returns, for every container
 * found, the inode numbers of the pid and mnt namespaces of one of its processes — the
 * {pid_ns, mnt_ns} key the kernel visibility map uses (§3.11). Processes that vanish mid-scan are skipped.
 */
export function scanContainerNamespaces(procRoot = '/proc'): Map<string, ContainerNamespaces> {
  const out = new Map<string, ContainerNamespaces>();
  let pids: string[];
  try { pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d)); } catch { return out; }
  for (const pid of pids) {
    try {
      const id = containerFromCgroupFile(readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8'))?.id;
      if (!id || out.has(id)) continue;
      out.set(id, { pidNs: nsInode(`${procRoot}/${pid}/ns/pid`), mntNs: nsInode(`${procRoot}/${pid}/ns/mnt`) });
    } catch { /* process exited or not readable */ }
  }
  return out;
}
