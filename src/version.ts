// The agent's version, from package.json (one source of truth for service.version, build_info and
// the KubeArmorVersion of alerts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

let version: string | undefined;
/** package.json version (dist/src → repository root; src/ under ts-node). */
export function agentVersion(): string {
  if (version !== undefined) return version;
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const v = (JSON.parse(readFileSync(path.resolve(__dirname, rel), 'utf8')) as { name?: string; version?: string });
      if (v.name === 'otelarmor' && v.version) return (version = v.version);
    } catch { /* try next */ }
  }
  return (version = '0.0.0');
}

/**
 * KubeArmorVersion of the alerts this agent raises. KubeArmor sets it on every MatchedPolicy /
 * MatchedHostPolicy alert to its build's git summary (e.g. "v1.7.4"); here it names this agent.
 */
let kaVersion: string | undefined;
export function kubeArmorVersion(): string {
  return (kaVersion ??= `otelarmor-${agentVersion()}`);
}
