// Pod object (core/v1, raw JSON from a watch or the client's model from a list: the same field
// names) → one PodMeta per container that has a runtime id.
import { containerIdFromStatus, imageWithDigest } from './container-id';
import { pickKubeArmorAnnotations } from './annotations';
import type { PodMeta } from './types';

export interface OwnerRef { kind?: string; name?: string; controller?: boolean }
export interface ContainerStatus { name?: string; containerID?: string; image?: string; imageID?: string }
export interface PodLike {
  metadata?: {
    name?: string; namespace?: string; uid?: string; resourceVersion?: string;
    labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: OwnerRef[];
  };
  spec?: { nodeName?: string; containers?: { name?: string; image?: string }[] };
  status?: {
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

/**
 * Top-level controller (KubeArmor getTopLevelOwner, §3.1), resolved without API lookups:
 *  - ReplicaSet named "<deployment>-<pod-template-hash>" (the Deployment controller's naming, and the
 *    pod carries the pod-template-hash label) → Deployment "<deployment>"; other ReplicaSets stay ReplicaSet.
 *  - Job named "<cronjob>-<scheduled time in minutes since the epoch>" (the CronJob controller's naming:
 *    a decimal suffix of 8+ digits) → CronJob "<cronjob>"; other Jobs stay Job.
 *  - Any other controller kind (StatefulSet, DaemonSet, ...) as is; no owner → Pod itself.
 */
export function resolveOwner(pod: PodLike): { Ref: string; Name: string; Namespace: string } {
  const ns = pod.metadata?.namespace ?? '';
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  if (!ref?.kind || !ref.name) return { Ref: 'Pod', Name: pod.metadata?.name ?? '', Namespace: ns };
  if (ref.kind === 'ReplicaSet') {
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    if (hash && ref.name.endsWith(`-${hash}`)) return { Ref: 'Deployment', Name: ref.name.slice(0, -hash.length - 1), Namespace: ns };
  }
  if (ref.kind === 'Job') {
    const m = /^(.+)-(\d{8,})$/.exec(ref.name);
    if (m) return { Ref: 'CronJob', Name: m[1]!, Namespace: ns };
  }
  return { Ref: ref.kind, Name: ref.name, Namespace: ns };
}

/** container id → PodMeta for every container status of the pod that has a runtime id. */
export function podEntries(pod: PodLike): Map<string, PodMeta> {
  const out = new Map<string, PodMeta>();
  const md = pod.metadata ?? {};
  const labels = { ...(md.labels ?? {}) };
  const annotations = pickKubeArmorAnnotations(md.annotations);
  const owner = resolveOwner(pod);
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  for (const st of statuses) {
    const id = containerIdFromStatus(st.containerID);
    if (!id) continue;
    out.set(id, {
      namespace: md.namespace ?? '',
      podName: md.name ?? '',
      labels,
      containerName: st.name ?? '',
      image: imageWithDigest(st.image, st.imageID),
      owner,
      annotations,
    });
  }
  return out;
}

/** KubeArmor `Labels`: "k=v" joined with ",". Sorted here, so the value is stable across events. */
export function renderLabels(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}
