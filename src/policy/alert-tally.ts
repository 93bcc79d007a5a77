// Alert counts of one PolicyEngine.process() call by (policy, severity, action, operation,
// namespace), handed to the metrics once per distinct label set when the batch ends: one counter
// add per label set per batch instead of one per alert (an OpenTelemetry counter add costs about
// 0.5 µs). Nested Maps keyed by the label strings themselves (their hashes are cached), so
// counting an alert builds no string; flush visits only the label sets counted since the last.
type Level<T> = Map<string, T>;

export type AlertSink = (policy: string, severity: string, action: string, operation: string, namespace: string, n: number) => void;

interface Leaf {
  policy: string;
  severity: string;
  action: string;
  operation: string;
  namespace: string;
  n: number;
}

/** Distinct label sets kept between batches before the structure is dropped and rebuilt. */
const MAX_LEAVES = 4096;

export class AlertTally {
  private root: Level<Level<Level<Level<Level<Leaf>>>>> = new Map();
  private leaves = 0;
  private readonly dirty: Leaf[] = [];

  add(policy: string, severity: string, action: string, operation: string, namespace: string): void {
    const d = sub(sub(sub(sub(this.root, policy), severity), action), operation);
    let leaf = d.get(namespace);
    if (!leaf) {
      leaf = { policy, severity, action, operation, namespace, n: 0 };
      d.set(namespace, leaf);
      this.leaves++;
    }
    if (leaf.n++ === 0) this.dirty.push(leaf);
  }

  /** Hands every label set counted since the last flush to `sink` and resets its count. */
  flush(sink: AlertSink): void {
    if (this.dirty.length === 0) return;
    for (const l of this.dirty.splice(0)) {
      const n = l.n;
      l.n = 0;
      sink(l.policy, l.severity, l.action, l.operation, l.namespace, n);
    }
    if (this.leaves > MAX_LEAVES) {
      this.root = new Map();
      this.leaves = 0;
    }
  }
}

function sub<T>(m: Level<Level<T>>, k: string): Level<T> {
  let v = m.get(k);
  if (!v) {
    v = new Map();
    m.set(k, v);
  }
  return v;
}
