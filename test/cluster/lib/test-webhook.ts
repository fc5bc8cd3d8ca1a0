/**
 * A webhook of a test's own on the local control plane: a small HTTPS server in the test process,
 * reached by the apiserver through an ExternalName Service to localhost (see ./injector.ts), that
 * records every request exactly as it arrived (raw headers, raw body) and answers what the test's
 * handler says: an answer of its own (a patch, a denial), a delay (a slow webhook), or the default,
 * allowed without a patch.
 *
 *   const hook = await startTestWebhook(cluster, { service: 'adder' });
 *   await applyConfiguration(cluster, mutatingConfiguration('zz-adder', scope, [webhookEntry('adder.test.io', hook.clientConfig())]));
 *   ...
 *   await deleteConfiguration(cluster, 'zz-adder');
 *   await hook.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { generateCa, generateServingCert } from '../../../src/certs/generate.js';
import type { ClusterClients } from './control-plane.js';

/** One request as the apiserver sent it. */
export interface RecordedCall {
  method: string;
  /** Path and query, e.g. `/mutate?timeout=10s`. */
  url: string;
  /** Header names as sent (case kept), in order, with their values. */
  rawHeaders: Array<[string, string]>;
  /** The body exactly as received. */
  body: string;
  /** The body, parsed. */
  review: any;
  alpn: string | false | null;
  tlsVersion: string | null;
}

/** What the handler answers; every field is optional (default: 200, allowed, no patch). */
export interface Answer {
  status?: number;
  /** A JSON value (serialised) or a raw string. */
  body?: unknown;
  /** Wait this long before answering (a slow webhook). */
  delayMs?: number;
}

export type Handler = (review: any, call: RecordedCall) => Answer;

export interface TestWebhook {
  /** The Service's name and namespace: the certificate is valid for `<service>.<namespace>.svc`. */
  service: string;
  namespace: string;
  port: number;
  /** Base64 PEM of the CA that signed the serving certificate. */
  caBundle: string;
  /** Every request received so far, oldest first. */
  calls: RecordedCall[];
  /** A `clientConfig` reaching this server through its Service. */
  clientConfig(path?: string): Record<string, unknown>;
  /** Stops the server and deletes its namespace (without waiting for it to go). */
  close(): Promise<void>;
}

/** The usual answer: allowed, with the extra response fields given. */
export function allowed(review: any, response: Record<string, unknown> = {}): Answer {
  return { body: { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...response } } };
}

/** Allowed with a JSON patch (none when `ops` is empty). */
export function patched(review: any, ops: unknown[]): Answer {
  return allowed(review, ops.length === 0 ? {} : { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
}

/** A suffix that makes names and label keys of one test unique in the shared control plane. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

/**
 * Starts an HTTPS webhook server with a certificate for `<service>.<namespace>.svc` and creates that
 * namespace with an ExternalName Service to localhost. The namespace defaults to `hooks-<random>`.
 */
export async function startTestWebhook(cluster: ClusterClients, options: { service: string; namespace?: string; handler?: Handler }): Promise<TestWebhook> {
  const namespace = options.namespace ?? `hooks-${uniqueSuffix()}`;
  const service = options.service;
  const ca = await generateCa();
  const leaf = await generateServingCert(ca, { sans: [`${service}.${namespace}.svc`] });
  const calls: RecordedCall[] = [];
  const handler: Handler = options.handler ?? ((review) => allowed(review));
  const server: Server = createServer({ key: leaf.key, cert: leaf.cert, ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rawHeaders: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const socket = req.socket as TLSSocket;
      let review: any;
      try {
        review = JSON.parse(body);
      } catch {
        review = undefined;
      }
      const call: RecordedCall = { method: req.method ?? '', url: req.url ?? '', rawHeaders, body, review, alpn: socket.alpnProtocol, tlsVersion: socket.getProtocol() };
      calls.push(call);
      const answer = handler(review, call);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    await applyLocalhostServices(cluster, namespace, [service], { createNamespace: true });
  } catch (err) {
    server.close();
    throw err;
  }
  const caBundle = Buffer.from(ca.cert).toString('base64');
  return {
    service,
    namespace,
    port,
    caBundle,
    calls,
    clientConfig: (path = '/mutate') => ({ service: { name: service, namespace, path, port }, caBundle }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.namespace === undefined) await cluster.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
    },
  };
}

/**
 * ExternalName Services to localhost (see ./injector.ts for why the apiserver then calls
 * https://localhost:<webhook's service port>), and their namespace when asked.
 */
export async function applyLocalhostServices(cluster: ClusterClients, namespace: string, services: string[], options: { createNamespace?: boolean } = {}): Promise<void> {
  const items: unknown[] = options.createNamespace ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }] : [];
  for (const name of services) items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ExternalName', externalName: 'localhost' } });
  await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

/** One webhook of a MutatingWebhookConfiguration, for pod creations, with the overrides given. */
export function webhookEntry(name: string, clientConfig: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    clientConfig,
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...overrides,
  };
}

/**
 * A MutatingWebhookConfiguration whose webhooks only see namespaces labelled `scope` (key=value),
 * so that it never touches another test's pods in the shared control plane.
 */
export function mutatingConfiguration(name: string, scope: Record<string, string>, webhooks: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: webhooks.map((w) => ({ ...w, namespaceSelector: { matchLabels: scope } })),
  };
}

/**
 * Creates a configuration. The apiserver picks it up through an informer, a moment later: follow
 * with `untilEffective` (./pods.ts) before relying on it.
 */
export async function applyConfiguration(cluster: ClusterClients, configuration: Record<string, unknown>): Promise<void> {
  await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(configuration) });
}

export async function deleteConfiguration(cluster: ClusterClients, name: string): Promise<void> {
  await cluster.kubectl(['delete', 'mutatingwebhookconfiguration', name, '--ignore-not-found']);
}
