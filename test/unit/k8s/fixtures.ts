// Pod objects as the API server returns them for each container runtime (containerID/imageID formats
// copied from real clusters: containerd and CRI-O report "<repo>@sha256:<digest>" image ids,
// cri-dockerd reports "docker-pullable://<repo>@sha256:<digest>").
import { createHash } from 'node:crypto';

export const hex64 = (seed: string): string => createHash('sha256').update(seed).digest('hex');

export interface PodSpec {
  name: string;
  namespace: string;
  node?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  owner?: { kind: string; name: string };
  containers: { name: string; id: string; image: string; imageID: string }[];
  init?: { name: string; id: string; image: string; imageID: string }[];
}

export function pod(p: PodSpec): Record<string, unknown> {
  const status = (c: PodSpec['containers'][number]) => ({
    name: c.name, containerID: c.id, image: c.image, imageID: c.imageID, ready: true, restartCount: 0, started: true,
    state: { running: { startedAt: '2026-01-01T00:00:05Z' } },
  });
  return {
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels ?? {},
      annotations: p.annotations ?? {},
      ...(p.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: hex64(p.owner.name).slice(0, 8), controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: { nodeName: p.node ?? 'node-1', containers: p.containers.map((c) => ({ name: c.name, image: c.image })) },
    status: {
      phase: 'Running',
      podIP: '10.244.1.7',
      containerStatuses: p.containers.map(status),
      ...(p.init ? { initContainerStatuses: p.init.map(status) } : {}),
    },
  };
}

/** Polls `probe` every 10 ms until it returns a value (not undefined/false); fails after 5 s naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
