// FAKE Kubernetes API server — an explicit test double, the only fake the project allows (there is
// no cluster on this machine). It serves, over plain HTTP, what otelarmor's PodWatcher uses:
//   GET  /api/v1/{pods,namespaces,nodes}                        list (fieldSelector a=b[,c=d] equality)
//   GET  /apis/security.kubearmor.com/v1/{kubearmorpolicies,kubearmorclusterpolicies,kubearmorhostpolicies}
//   ...?watch=true&resourceVersion=N                           watch: newline-delimited {"type","object"}
//   POST /api/v1/namespaces/{ns}/events                         recorded in `events`
// Tests push changes with upsert()/remove(); each bumps a global resourceVersion and is sent to open
// watches whose field selector matches, as the real server does. No authentication, no admission.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type FakeResource = 'pods' | 'namespaces' | 'nodes' | 'kubearmorpolicies' | 'kubearmorclusterpolicies' | 'kubearmorhostpolicies';

interface Obj { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown }; [k: string]: unknown }
interface WatchEvent { rv: number; resource: FakeResource; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Obj }
interface Watcher { resource: FakeResource; selector: [string, string][]; res: http.ServerResponse }

const KIND: Record<FakeResource, [string, string]> = {
  pods: ['v1', 'Pod'],
  namespaces: ['v1', 'Namespace'],
  nodes: ['v1', 'Node'],
  kubearmorpolicies: ['security.kubearmor.com/v1', 'KubeArmorPolicy'],
  kubearmorclusterpolicies: ['security.kubearmor.com/v1', 'KubeArmorClusterPolicy'],
  kubearmorhostpolicies: ['security.kubearmor.com/v1', 'KubeArmorHostPolicy'],
};

export interface RecordedRequest { method: string; path: string; query: Record<string, string> }

export class FakeKubeApiServer {
  readonly store = new Map<FakeResource, Map<string, Obj>>();
  readonly history: WatchEvent[] = [];
  /** Bodies POSTed to /api/v1/namespaces/{ns}/events, with the namespace of the URL. */
  readonly events: { namespace: string; body: Record<string, unknown> }[] = [];
  readonly requests: RecordedRequest[] = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 100;
  /** When set, list requests for this resource answer 500 (to test retries). */
  failLists = new Set<FakeResource>();

  private constructor(private readonly server: http.Server) {
    for (const r of Object.keys(KIND) as FakeResource[]) this.store.set(r, new Map());
  }

  static async start(): Promise<FakeKubeApiServer> {
    const server = http.createServer();
    const fake = new FakeKubeApiServer(server);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Creates or replaces an object; fills apiVersion/kind/uid/resourceVersion; notifies watches. */
  upsert(resource: FakeResource, object: Record<string, unknown>): Obj {
    const o = structuredClone(object) as Obj;
    const [apiVersion, kind] = KIND[resource];
    o.apiVersion ??= apiVersion;
    o.kind ??= kind;
    const key = keyOf(o);
    const prev = this.store.get(resource)!.get(key);
    o.metadata.uid = prev?.metadata.uid ?? o.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= '2026-01-01T00:00:00Z';
    o.metadata.resourceVersion = String(++this.rv);
    this.store.get(resource)!.set(key, o);
    this.publish({ rv: this.rv, resource, type: prev ? 'MODIFIED' : 'ADDED', object: o });
    return o;
  }

  remove(resource: FakeResource, name: string, namespace?: string): void {
    const key = `${namespace ?? ''}/${name}`;
    const prev = this.store.get(resource)!.get(key);
    if (!prev) throw new Error(`fake apiserver: no ${resource} ${key}`);
    this.store.get(resource)!.delete(key);
    const o = structuredClone(prev);
    o.metadata.resourceVersion = String(++this.rv);
    this.publish({ rv: this.rv, resource, type: 'DELETED', object: o });
  }

  /** Ends every open watch response, as an API server does at its watch timeout. */
  dropWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  openWatches(resource?: FakeResource): number {
    return [...this.watchers].filter((w) => resource === undefined || w.resource === resource).length;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private publish(ev: WatchEvent): void {
    this.history.push(ev);
    for (const w of this.watchers) if (w.resource === ev.resource && matches(ev.object, w.selector)) writeEvent(w.res, ev);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(u.searchParams.entries());
    this.requests.push({ method: req.method ?? '', path: u.pathname, query });
    const evNs = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(u.pathname);
    if (req.method === 'POST' && evNs) {
      let data = '';
      req.on('data', (c: Buffer) => { data += c.toString(); });
      req.on('end', () => {
        const body = JSON.parse(data) as Record<string, unknown>;
        const md = (body.metadata ?? {}) as Record<string, unknown>;
        const created = { ...body, metadata: { ...md, name: `${String(md.generateName ?? 'event.')}${this.events.length}`, namespace: evNs[1], resourceVersion: String(++this.rv) } };
        this.events.push({ namespace: evNs[1]!, body });
        json(res, 201, created);
      });
      return;
    }
    const resource = resourceOf(u.pathname);
    if (req.method !== 'GET' || !resource) { json(res, 404, status(404, 'NotFound', `fake apiserver: no route ${req.method} ${u.pathname}`)); return; }
    const selector = parseSelector(query.fieldSelector);
    if (query.watch === 'true' || query.watch === '1') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const from = Number(query.resourceVersion ?? '0');
      const w: Watcher = { resource, selector, res };
      for (const ev of this.history) if (ev.rv > from && ev.resource === resource && matches(ev.object, selector)) writeEvent(res, ev);
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    if (this.failLists.has(resource)) { json(res, 500, status(500, 'InternalError', 'fake apiserver: list failure injected')); return; }
    const [apiVersion, kind] = KIND[resource];
    const items = [...this.store.get(resource)!.values()].filter((o) => matches(o, selector));
    json(res, 200, { apiVersion, kind: `${kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
  }
}

function keyOf(o: Obj): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function resourceOf(pathname: string): FakeResource | undefined {
  const core = /^\/api\/v1\/(pods|namespaces|nodes)$/.exec(pathname);
  if (core) return core[1] as FakeResource;
  const crd = /^\/apis\/security\.kubearmor\.com\/v1\/(kubearmorpolicies|kubearmorclusterpolicies|kubearmorhostpolicies)$/.exec(pathname);
  return crd ? (crd[1] as FakeResource) : undefined;
}

function parseSelector(s: string | undefined): [string, string][] {
  if (!s) return [];
  return s.split(',').map((t) => { const i = t.indexOf('='); return [t.slice(0, i), t.slice(i + 1)] as [string, string]; });
}

function matches(o: Obj, selector: [string, string][]): boolean {
  return selector.every(([field, want]) => {
    let cur: unknown = o;
    for (const p of field.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[p];
    return String(cur ?? '') === want;
  });
}

function writeEvent(res: http.ServerResponse, ev: WatchEvent): void {
  res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}
