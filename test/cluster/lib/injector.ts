/**
 * Our webhook on a local control plane: `sidecar-injector serve` from dist/ on loopback, reached by
 * the apiserver through a Service reference, the way it is registered in a real cluster.
 *
 * There is no kube-proxy and no node, so a ClusterIP leads nowhere. The apiserver resolves a
 * webhook's Service itself (k8s.io/apiserver's proxy.ResolveCluster): for an ExternalName Service
 * it calls https://<externalName>:<webhook port>, while it still checks the certificate against
 * `<service>.<namespace>.svc`. So an ExternalName Service pointing at `localhost`, and the webhook's
 * service port set to the port our server listens on, route a Service-based registration to it.
 * (A Service without selector and a hand-made EndpointSlice cannot: endpoints may not be loopback
 * addresses, and without --enable-aggregator-routing the ClusterIP would be used anyway.)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { REPO_ROOT } from './binaries.js';
import type { ControlPlane } from './control-plane.js';
import { freePort, ManagedProcess, waitFor } from './process.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli.js');

export interface InjectorOptions {
  /** Namespace of the injector's Service (excluded from injection). Default istio-system. */
  namespace?: string;
  /** Service name. Default sidecar-injector. */
  service?: string;
  /** MutatingWebhookConfiguration name. Default sidecar-injector. */
  configurationName?: string;
  /** Extra flags for `serve`. */
  serveArgs?: string[];
  /** Extra flags for `register` (e.g. --failure-policy Ignore). */
  registerArgs?: string[];
  /** Where certificates and the server's log go. Default: <control plane dir>/injector-<name>. */
  dir?: string;
}

export interface Injector {
  port: number;
  namespace: string;
  service: string;
  configurationName: string;
  /** The server's log (pino JSON lines). */
  logFile: string;
  /** PEM of the CA that signed the serving certificate (the configuration's caBundle). */
  caCert: string;
  /** Stops the server; the configuration stays registered (see unregister). */
  stop(): Promise<void>;
  unregister(): Promise<void>;
}

/** Runs our CLI from dist/ and returns its standard output; throws with its stderr on failure. */
export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sidecar-injector ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** GET over HTTPS trusting `ca` only; resolves with the status code. */
export function httpsGetStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername: 'localhost', timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function startInjector(cp: ControlPlane, options: InjectorOptions = {}): Promise<Injector> {
  const namespace = options.namespace ?? 'istio-system';
  const service = options.service ?? 'sidecar-injector';
  const configurationName = options.configurationName ?? 'sidecar-injector';
  const dir = options.dir ?? join(cp.dir, `injector-${configurationName}`);
  mkdirSync(dir, { recursive: true });
  const certs = join(dir, 'certs');
  // The serving certificate carries <service>.<namespace>.svc, the name the apiserver verifies.
  await runCli(['certs', '--out', certs, '--service', service, '--namespace', namespace, '--san', 'localhost', '--san', '127.0.0.1']);
  const caCert = readFileSync(join(certs, 'ca.crt'), 'utf8');

  const port = await freePort();
  const logFile = join(dir, 'serve.log');
  const server = new ManagedProcess('sidecar-injector', process.execPath, [
    CLI, 'serve',
    '--host', '127.0.0.1',
    '--port', String(port),
    '--tls-cert-file', join(certs, 'tls.crt'),
    '--tls-key-file', join(certs, 'tls.key'),
    '--monitoring-port', '0',
    '--shutdown-delay-seconds', '0',
    '--log-level', 'debug',
    ...(options.serveArgs ?? []),
  ], { logFile, env: { ...process.env, KUBECONFIG: cp.kubeconfig } });
  try {
    await waitFor('sidecar-injector serve /readyz', 30_000, async () => {
      if (server.exit !== undefined) throw new Error(`sidecar-injector serve stopped (${server.exit}):\n${server.logTail()}`);
      return (await httpsGetStatus(`https://127.0.0.1:${port}/readyz`, caCert)) === 200 ? true : undefined;
    });

    await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: service, namespace }, spec: { type: 'ExternalName', externalName: 'localhost' } },
        ],
      }),
    });
    await runCli([
      'register', '--kubeconfig', cp.kubeconfig,
      '--name', configurationName, '--namespace', namespace, '--service', service,
      '--port', String(port), '--ca-file', join(certs, 'ca.crt'),
      ...(options.registerArgs ?? []),
    ]);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    port,
    namespace,
    service,
    configurationName,
    logFile,
    caCert,
    stop: () => server.stop(),
    unregister: async () => {
      await cp.kubectl(['delete', 'mutatingwebhookconfiguration', configurationName, '--ignore-not-found']);
    },
  };
}
