// Event and engine builders for the policy unit tests.
import * as path from 'node:path';
import { defaultConfig, type AgentConfig } from '../../../src/config';
import type { AgentEvent, EventExtras, KubeArmorEvent } from '../../../src/events/types';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { PolicyEngine } from '../../../src/policy/engine';
import { PolicyStore } from '../../../src/policy/store';
import { ROOT } from '../../helpers/env';

export const VALID = path.join(ROOT, 'test/fixtures/policies/valid');
export const WEB_NS = { pidNs: 4026532001, mntNs: 4026532002 };

type EvInit = Partial<KubeArmorEvent> & { extras?: Partial<EventExtras> };

/** A container event of pod prod/web-1 (app=web) unless overridden. */
export function cev(init: EvInit): AgentEvent {
  const { extras, ...ka } = init;
  return {
    ka: {
      Timestamp: 1784900000, UpdatedTime: '2026-07-24T12:13:20.123456Z', ClusterName: 'default', HostName: 'node-a',
      NamespaceName: 'prod', PodName: 'web-1', Labels: 'app=web', ContainerID: 'c0ffee', ContainerName: 'web',
      HostPPID: 4100, HostPID: 4242, PPID: 1, PID: 17, UID: 0, Type: 'ContainerLog', Operation: 'File',
      Result: 'Passed', ProcessName: '/bin/cat', ParentProcessName: '/bin/bash', Source: '/bin/cat /etc/shadow',
      ...ka,
    },
    timeNs: 1784900000000000000n,
    observedNs: 1784900000000001000n,
    extras: { syscall: 'openat', retval: 3, ancestry: [], ...WEB_NS, cgroupId: '77', ...extras },
  };
}

/** A host event (HostLog, no container fields). */
export function hev(init: EvInit): AgentEvent {
  const e = cev({ ...init, Type: 'HostLog' });
  delete e.ka.NamespaceName; delete e.ka.PodName; delete e.ka.Labels; delete e.ka.ContainerID; delete e.ka.ContainerName;
  for (const [k, v] of Object.entries(init)) if (k !== 'extras') (e.ka as unknown as Record<string, unknown>)[k] = v;
  e.ka.Type = 'HostLog';
  e.extras.pidNs = 0;
  e.extras.mntNs = 0;
  return e;
}

export interface EngineInit {
  paths?: string[];
  objects?: unknown[];
  config?: Partial<AgentConfig>;
  annotations?: Record<string, Record<string, string>>;
  enforcerCanBlock?: boolean;
  lsmActive?: boolean;
  hostName?: string;
  hostLabels?: Record<string, string>;
  now?: () => number;
}

export function engine(init: EngineInit = {}): { engine: PolicyEngine; store: PolicyStore; metrics: AgentMetrics } {
  const store = new PolicyStore();
  const r = store.load(init.paths ?? [VALID]);
  if (r.errors.length) throw new Error(r.errors.join('\n'));
  if (init.objects) {
    const s = store.replaceSource('test', init.objects);
    if (s.errors.length) throw new Error(s.errors.join('\n'));
  }
  const metrics = new AgentMetrics();
  const e = new PolicyEngine({
    store, metrics, config: { ...defaultConfig(), ...init.config }, hostName: init.hostName ?? 'node-a',
    hostLabels: init.hostLabels ?? { 'kubernetes.io/hostname': init.hostName ?? 'node-a' },
    namespaceAnnotations: (ns) => init.annotations?.[ns], enforcerCanBlock: init.enforcerCanBlock ?? true,
    lsmActive: init.lsmActive ?? false, ...(init.now ? { now: init.now } : {}),
  });
  return { engine: e, store, metrics };
}

/** Only the alert fields (and the fields that identify the event). */
export function alertFields(e: AgentEvent): Record<string, unknown> {
  const k = e.ka;
  const out: Record<string, unknown> = {};
  for (const f of ['Type', 'Operation', 'Resource', 'PolicyName', 'Severity', 'Tags', 'ATags', 'Message', 'Action', 'Enforcer', 'Result'] as const) {
    if (k[f] !== undefined) out[f] = k[f];
  }
  return out;
}
