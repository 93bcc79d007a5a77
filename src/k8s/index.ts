// Entry point used by the agent (src/agent.ts) when Kubernetes is wanted (config.k8s).
import type { AgentConfig } from '../config';
import type { AgentMetrics } from '../metrics/metrics';
import { PodWatcher, type PodChange, type PoliciesCallback, type SettingsChange, type VisibilityClear, type VisibilityTarget } from './pod-watcher';

export { PodWatcher, policySource, storeRejections } from './pod-watcher';
export type {
  PodChange, PoliciesCallback, PolicyRejection, VisibilityTarget, VisibilityClear, SettingsChange, ContainerSettings, PodWatcherOptions,
} from './pod-watcher';
export { renderLabels } from './pod-meta';
export { containerIdFromCgroupPath, containerIdFromStatus, scanContainerNamespaces } from './container-id';

export interface KubernetesOptions {
  config: AgentConfig;
  /** Fallback when config.nodeName is empty (the DaemonSet sets OTELARMOR_NODE_NAME from spec.nodeName). */
  nodeName: string;
  metrics?: AgentMetrics;
  io?: { info(line: string): void; warn(line: string): void };
  /** Enforcement unavailable: kubearmor-policy "enabled" resolves to "audited". */
  forceAudited?: boolean;
}

export interface KubernetesHandle {
  /** PodMetadataSource for the enrichment (synchronous lookups). */
  pods: PodWatcher;
  onChange(cb: (c: PodChange) => void): () => void;
  onVisibilityChange(cb: (t: VisibilityTarget) => void): () => void;
  /** A container's kernel visibility entry must be removed (KernelSensors.clearVisibility). */
  onVisibilityClear(cb: (t: VisibilityClear) => void): () => void;
  /** kubearmor-policy / posture annotations changed the settings of known containers or the host: recompile the kernel rules. */
  onSettingsChange(cb: (c: SettingsChange) => void): () => void;
  onPolicies(cb: PoliciesCallback): () => void;
  stop(): Promise<void>;
}

/**
 * Connects with config.kubeconfig, else in-cluster credentials, else the default kubeconfig, and
 * starts the pod/namespace/node/CRD watches. Resolves after the first list of each (a failing list
 * is logged and retried in the background, so the agent starts without a reachable API server).
 */
export async function startKubernetes(o: KubernetesOptions): Promise<KubernetesHandle> {
  const nodeName = o.config.nodeName || o.nodeName;
  const w = new PodWatcher({
    nodeName,
    config: o.config,
    kubeconfig: o.config.kubeconfig || undefined,
    forceAudited: o.forceAudited,
    metrics: o.metrics,
    log: (level, msg) => (level === 'info' ? o.io?.info(`kubernetes: ${msg}`) : o.io?.warn(`kubernetes: ${msg}`)),
  });
  await w.start();
  return {
    pods: w,
    onChange: (cb) => w.onChange(cb),
    onVisibilityChange: (cb) => w.onVisibilityChange(cb),
    onVisibilityClear: (cb) => w.onVisibilityClear(cb),
    onSettingsChange: (cb) => w.onSettingsChange(cb),
    onPolicies: (cb) => w.onPolicies(cb),
    stop: () => w.stop(),
  };
}
