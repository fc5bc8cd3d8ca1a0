/**
 * A small Kubernetes API server for tests: the real REST paths over HTTPS for namespaces,
 * mutatingwebhookconfigurations and leases (GET, POST, PUT with optimistic concurrency, merge
 * PATCH) and a watch stream, since no real apiserver can run here.
 */
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, generateServingCert } from '../../src/certs/generate.js';

type Store = Map<string, any>;

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The apiserver parses Lease times with exactly six fractional digits (MicroTime). */
function badMicroTime(lease: any): boolean {
  return ['acquireTime', 'renewTime'].some((field) => {
    const value = lease?.spec?.[field];
    return value !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(String(value));
  });
}

export class FakeKubeApi {
  readonly stores = { namespaces: new Map() as Store, mwc: new Map() as Store, leases: new Map() as Store };
  private version = 1;
  private watchers = new Set<{ res: ServerResponse; name?: string }>();
  requests: string[] = [];
  private server!: Server;
  port = 0;
  kubeconfigFile = '';

  async start(): Promise<void> {
    const ca = await generateCa();
    const leaf = await generateServingCert(ca, { sans: ['127.0.0.1', 'localhost'] });
    this.server = createServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req.method ?? 'GET', req.url ?? '/', chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined, res));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    this.kubeconfigFile = join(dir, 'config');
    await writeFile(
      this.kubeconfigFile,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: test\n  cluster:\n    server: https://127.0.0.1:${this.port}\n    certificate-authority-data: ${Buffer.from(ca.cert).toString('base64')}`,
        'users:',
        '- name: test\n  user:\n    token: test-token',
        'contexts:',
        '- name: test\n  context:\n    cluster: test\n    user: test',
        'current-context: test',
        '',
      ].join('\n'),
    );
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Open watch streams. */
  watcherCount(): number {
    return this.watchers.size;
  }

  addNamespace(name: string, labels: Record<string, string> = {}): void {
    this.stores.namespaces.set(name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, resourceVersion: String(this.version++) } });
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  }

  private notify(type: string, object: any): void {
    for (const w of this.watchers) if (w.name === undefined || w.name === object.metadata.name) w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private handle(method: string, url: string, body: any, res: ServerResponse): void {
    this.requests.push(`${method} ${url}`);
    const { pathname, searchParams } = new URL(url, 'https://x');
    const routes: Array<[RegExp, Store, string, string]> = [
      [/^\/api\/v1\/namespaces(?:\/([^/]+))?$/, this.stores.namespaces, 'v1', 'Namespace'],
      [/^\/apis\/admissionregistration\.k8s\.io\/v1\/mutatingwebhookconfigurations(?:\/([^/]+))?$/, this.stores.mwc, 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'],
      [/^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/, this.stores.leases, 'coordination.k8s.io/v1', 'Lease'],
    ];
    for (const [pattern, store, apiVersion, kind] of routes) {
      const m = pattern.exec(pathname);
      if (m === null) continue;
      const name = kind === 'Lease' ? m[2] : m[1];
      const key = kind === 'Lease' ? `${m[1]}/${name ?? body?.metadata?.name}` : (name ?? body?.metadata?.name);
      if (method === 'GET' && searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        const selector = /metadata\.name=(.+)/.exec(searchParams.get('fieldSelector') ?? '')?.[1];
        const watcher = selector === undefined ? { res } : { res, name: selector };
        this.watchers.add(watcher);
        res.on('close', () => this.watchers.delete(watcher));
        return;
      }
      if (method === 'GET' && name === undefined) return this.send(res, 200, { kind: `${kind}List`, apiVersion, items: [...store.values()] });
      const existing = key === undefined ? undefined : store.get(key);
      switch (method) {
        case 'GET':
          return existing ? this.send(res, 200, existing) : this.status(res, 404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`);
        case 'POST': {
          if (kind === 'Lease' && badMicroTime(body)) return this.status(res, 400, 'BadRequest', 'Lease in version "v1" cannot be handled as a Lease: parsing time: cannot parse');
          if (existing) return this.status(res, 409, 'AlreadyExists', `${kind.toLowerCase()}s "${key}" already exists`);
          const object = { ...body, apiVersion, kind, metadata: { ...body.metadata, resourceVersion: String(this.version++), ...(kind === 'Lease' ? { namespace: m[1] } : {}) } };
          store.set(key!, object);
          this.notify('ADDED', object);
          return this.send(res, 201, object);
        }
        case 'PUT': {
          if (kind === 'Lease' && badMicroTime(body)) return this.status(res, 400, 'BadRequest', 'Lease in version "v1" cannot be handled as a Lease: parsing time: cannot parse');
          if (!existing) return this.status(res, 404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`);
          if (body.metadata?.resourceVersion !== existing.metadata.resourceVersion) {
            return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${kind.toLowerCase()}s "${name}": the object has been modified; please apply your changes to the latest version and try again`);
          }
          const object = { ...body, apiVersion, kind, metadata: { ...body.metadata, resourceVersion: String(this.version++) } };
          store.set(key!, object);
          this.notify('MODIFIED', object);
          return this.send(res, 200, object);
        }
        case 'PATCH': {
          if (!existing) return this.status(res, 404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`);
          const object = mergePatch(existing, body);
          object.metadata.resourceVersion = String(this.version++);
          store.set(key!, object);
          this.notify('MODIFIED', object);
          return this.send(res, 200, object);
        }
      }
    }
    this.status(res, 404, 'NotFound', `the server could not find the requested resource (${method} ${pathname})`);
  }

  /** An edit made behind our back, as a GitOps sync or a person would. */
  tamper(name: string, mutate: (config: any) => void): void {
    const config = structuredClone(this.stores.mwc.get(name));
    mutate(config);
    config.metadata.resourceVersion = String(this.version++);
    this.stores.mwc.set(name, config);
    this.notify('MODIFIED', config);
  }
}
