// Resource of every record: agent identity and the node it runs on. Per-event workload identity
// (namespace, pod, container, process) goes on the record attributes, so one resource covers all
// records of a node and batches are not fragmented.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  ATTR_HOST_NAME, ATTR_K8S_CLUSTER_NAME, ATTR_K8S_NODE_NAME, ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION,
} from './semconv';
import { agentVersion } from '../version';

export const SERVICE_NAME = 'otelarmor';

export { agentVersion } from '../version';

/**
 * service.instance.id: a UUID (v5 layout) derived from the node name and the kernel boot id, so it
 * is stable across agent restarts within one boot and distinct across nodes and boots.
 */
export function instanceId(nodeName: string): string {
  let boot = '';
  try { boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { boot = String(process.pid); }
  const h = createHash('sha1').update(`otelarmor\u0000${nodeName}\u0000${boot}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export interface AgentResourceInput { cluster: string; nodeName: string; hostName: string }

export function agentResourceAttributes(r: AgentResourceInput): Record<string, string> {
  return {
    [ATTR_SERVICE_NAME]: SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: agentVersion(),
    [ATTR_SERVICE_INSTANCE_ID]: instanceId(r.nodeName),
    [ATTR_HOST_NAME]: r.hostName,
    [ATTR_K8S_NODE_NAME]: r.nodeName,
    [ATTR_K8S_CLUSTER_NAME]: r.cluster,
  };
}

export function agentResource(r: AgentResourceInput): Resource {
  return resourceFromAttributes(agentResourceAttributes(r));
}
