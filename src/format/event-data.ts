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
