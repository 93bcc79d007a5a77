// Shared by the receive-*.test.ts files: Prometheus text exposition → samples.

/**
 * Samples of the named metric families in Prometheus text format, as `name{k="v",...}` → value
 * with the labels in the order the exporter rendered them. Every series of those families is
 * returned, so a deepEqual against the expected map fails on any extra or missing series.
 */
export function promSamples(text: string, families: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
    if (!families.includes(name)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/** Scrapes http://ADDRESS/metrics. */
export async function scrape(address: string): Promise<string> {
  const r = await fetch(`http://${address}/metrics`);
  if (r.status !== 200) throw new Error(`GET http://${address}/metrics: ${r.status}`);
  return r.text();
}
