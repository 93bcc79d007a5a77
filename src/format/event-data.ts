// KubeArmor `EventData` (feeder/feeder.go parseDataString + PushLog): `Data` split on whitespace,
// tokens without "=" skipped, each token split at its first "=", the key's first letter upper-cased;
// for Operation "Network" the pairs of `Resource` are merged in too (Resource wins on a clash).
// Absent (undefined) when neither string yields a map, as KubeArmor leaves the map nil.

function parseInto(out: Record<string, string>, s: string): void {
  for (const tok of s.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq < 0) continue;
    let key = tok.slice(0, eq);
    if (key.length > 0) key = key[0]!.toUpperCase() + key.slice(1);
    out[key] = tok.slice(eq + 1);
  }
}

export function deriveEventData(operation: string, data: string | undefined, resource: string | undefined): Record<string, string> | undefined {
  let m: Record<string, string> | undefined;
  if (data) {
    m = {};
    parseInto(m, data);
  }
  if (resource && operation === 'Network') {
    m ??= {};
    parseInto(m, resource);
  }
  return m;
}

const SHARED_MAX = 8192;
const shared = new Map<string, Record<string, string> | undefined>();

/**
 * deriveEventData memoised by its inputs: events with equal strings get the same map object
 * (bounded; the cache restarts when full). Shared maps are read-only by contract: every stage
 * after enrichment copies before it changes an event (alerts share the log's map too).
 */
export function sharedEventData(operation: string, data: string | undefined, resource: string | undefined): Record<string, string> | undefined {
  const key = operation === 'Network' ? `N\u0000${data ?? ''}\u0000${resource ?? ''}` : data ?? '';
  let m = shared.get(key);
  if (m === undefined && !shared.has(key)) {
    m = deriveEventData(operation, data, resource);
    if (shared.size >= SHARED_MAX) shared.clear();
    shared.set(key, m);
  }
  return m;
}
