/** Our real HTTPS server behind the emulated apiserver, with a webhook configuration like the one we ship. */
import { createServer, type Server } from 'node:https';
import { pino } from 'pino';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { defaultConfig, type InjectorConfig } from '../../../src/config/index.js';
import { startServer, type RunningServer } from '../../../src/server/listen.js';
import { FakeApiServer } from './apiserver.js';

export const SERVICE = { name: 'sidecar-injector', namespace: 'istio-system' };

export interface Harness {
  api: FakeApiServer;
  /** Replaces the configuration the server uses from the next review on. */
  setConfig(config: InjectorConfig): void;
  server: RunningServer;
  ca: KeyPair;
  caBundle: string;
  close(): Promise<void>;
}

/** The webhook configuration under test: the shape `sidecar-injector register` creates. */
export function injectorConfiguration(caBundle: string, overrides: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'sidecar-injector' },
    webhooks: [
      {
        name: 'sidecar-injector.istio.io',
        clientConfig: { service: { name: SERVICE.name, namespace: SERVICE.namespace, path: '/inject', port: 443 }, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: {
          matchLabels: { 'istio-injection': 'enabled' },
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', SERVICE.namespace] }],
        },
        objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        reinvocationPolicy: 'IfNeeded',
        ...overrides,
      },
    ],
  };
}

/** Starts our server with a certificate for the in-cluster service name. */
export async function startHarness(options: { nativeSidecars?: boolean } = {}): Promise<Harness> {
  const ca = await generateCa();
  const leaf = await generateServingCert(ca, { sans: [`${SERVICE.name}.${SERVICE.namespace}.svc`, `${SERVICE.name}.${SERVICE.namespace}`] });
  const base = defaultConfig();
  let config: InjectorConfig = options.nativeSidecars === undefined ? base : { ...base, nativeSidecars: options.nativeSidecars };
  const server = await startServer({ host: '127.0.0.1', port: 0, tls: leaf, getConfig: () => config, logger: pino({ level: 'silent' }), onInternalError: 'deny' });
  const api = new FakeApiServer();
  api.registerService(SERVICE.name, SERVICE.namespace, server.port);
  const caBundle = Buffer.from(ca.cert).toString('base64');
  return {
    api,
    server,
    ca,
    caBundle,
    setConfig: (next) => {
      config = next;
    },
    close: () => server.close(),
  };
}

/** What a webhook server sees of a call: the wire-level request. */
export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Header names and values as sent, alternating (node's `rawHeaders`). */
  rawHeaders: string[];
  rawBody: string;
  alpn: string | false | null;
  tlsVersion: string | null;
}

/** A throwaway HTTPS webhook with the given certificate and handler, for the emulator's own tests. */
export async function startFakeWebhook(
  tls: KeyPair & { ciphers?: string },
  handler: (review: any, wire: WireRequest) => { status?: number; body: unknown; delayMs?: number; headers?: Record<string, string> },
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer({ key: tls.key, cert: tls.cert, ALPNProtocols: ['h2', 'http/1.1'], ...(tls.ciphers ? { ciphers: tls.ciphers } : {}) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const socket = req.socket as import('node:tls').TLSSocket;
      const wire: WireRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, rawBody, alpn: socket.alpnProtocol, tlsVersion: socket.getProtocol() };
      const answer = handler(JSON.parse(rawBody), wire);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plain app pod. */
export function appPod(name = 'web', labels: Record<string, string> = { app: 'web' }): any {
  return { metadata: { name, labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }] } };
}
