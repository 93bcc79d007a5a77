// What the enrichment stage needs from Kubernetes (implemented by src/k8s/pod-watcher.ts; absent
// on a plain host). Lookups are synchronous map reads: nothing on the event path waits for the API.

export interface PodMeta {
  namespace: string;
  podName: string;
  /** Pod labels; rendered as KubeArmor `Labels` ("k=v,k=v"). */
  labels: Record<string, string>;
  containerName: string;
  /** image@sha256:digest when the status carries the digest. */
  image: string;
  /** Top-level controller from ownerReferences. */
  owner?: { Ref: string; Name: string; Namespace: string };
  /** Pod annotations relevant to otelarmor (kubearmor-visibility, kubearmor-policy, postures). */
  annotations: Record<string, string>;
}

export interface PodMetadataSource {
  /** Container id (64 hex chars, as found in cgroup paths) → pod metadata, or undefined if unknown yet. */
  lookup(containerId: string): PodMeta | undefined;
  /** Namespace annotations (kubearmor-visibility, kubearmor-*-posture, kubearmor-policy). */
  namespaceAnnotations(namespace: string): Record<string, string> | undefined;
}
