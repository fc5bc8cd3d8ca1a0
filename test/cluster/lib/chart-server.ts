/**
 * Our server run locally the way a Helm release's Deployment would run it, for a control plane
 * without a kubelet: the container's own arguments, taken from the installed Deployment, with the
 * container paths mapped to local files (the Secret's certificates, the ConfigMap's files) and,
 * where the chart gives the pod a service-account token, the release's own ServiceAccount as the
 * identity, so the chart's RBAC is what the server gets.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterClients } from './control-plane.js';
import { CLI, httpsGetStatus } from './injector.js';
import type { KubeObject } from './helm.js';
import { ManagedProcess, waitFor } from './process.js';

export interface ChartServer {
  /** The arguments it runs with (after `node dist/cli.js`). */
  args: string[];
  logFile: string;
  /** The reviews it logged for a namespace, oldest first. */
  reviewsIn(namespace: string): any[];
  stop(): Promise<void>;
}

export interface ChartServerOptions {
  /** The release's Deployment, as the apiserver stores it. */
  deployment: KubeObject;
  /** The release's ConfigMap: its files go where the Deployment mounts it. */
  configMap: KubeObject;
  /** A directory holding what the Deployment's Secret volume holds (tls.crt, tls.key, ca.crt). */
  certsDir: string;
  /** PEM that signed the serving certificate, to probe /readyz. */
  caCert: string;
  /** Where its files and log go. */
  dir: string;
  /** The kubeconfig the server uses (e.g. {@link serviceAccountKubeconfig}); none by default. */
  kubeconfig?: string;
}

/** Where the chart's Deployment mounts a volume, by volume name. */
function mountPath(container: any, name: string): string {
  const mount = (container.volumeMounts ?? []).find((m: any) => m.name === name);
  if (!mount) throw new Error(`the chart's container mounts no volume '${name}'`);
  return mount.mountPath;
}

export async function startChartServer(options: ChartServerOptions): Promise<ChartServer> {
  const container = options.deployment.spec.template.spec.containers[0];
  const configDir = join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  for (const [file, content] of Object.entries((options.configMap.data ?? {}) as Record<string, string>)) writeFileSync(join(configDir, file), content);
  const paths: [string, string][] = [
    [mountPath(container, 'certs'), options.certsDir],
    [mountPath(container, 'config'), configDir],
  ];
  const args = (container.args as string[]).map((arg) => {
    for (const [from, to] of paths) if (arg === from || arg.startsWith(`${from}/`)) return to + arg.slice(from.length);
    return arg;
  });
  const flag = (name: string) => args[args.indexOf(name) + 1];
  if (flag('--host') !== '0.0.0.0') throw new Error(`unexpected --host in the chart's arguments: ${args.join(' ')}`);
  args[args.indexOf('--host') + 1] = '127.0.0.1';
  // No endpoints to take out of a Service here: stop at once instead of serving 5 s more.
  args.push('--shutdown-delay-seconds', '0');
  if (options.kubeconfig) args.push('--kubeconfig', options.kubeconfig);

  const logFile = join(options.dir, 'serve.log');
  // Without a kubeconfig of its own it must not pick up the admin's from the environment.
  const env = { ...process.env, KUBECONFIG: options.kubeconfig ?? join(options.dir, 'no-kubeconfig') };
  const server = new ManagedProcess('sidecar-injector (chart)', process.execPath, [CLI, ...args], { logFile, env });
  try {
    await waitFor('the chart-configured server /readyz', 30_000, async () => {
      if (server.exit !== undefined) throw new Error(`serve stopped (${server.exit}):\n${server.logTail()}`);
      return (await httpsGetStatus(`https://127.0.0.1:${flag('--port')}/readyz`, options.caCert)) === 200 ? true : undefined;
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    args,
    logFile,
    reviewsIn: (namespace) => reviewsLogged(logFile, namespace),
    stop: () => server.stop(),
  };
}

function reviewsLogged(logFile: string, namespace: string): any[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'review' && entry.namespace === namespace);
}

/**
 * A kubeconfig acting as a ServiceAccount, with a token from the TokenRequest API (what the
 * kubelet would mount into the pod), valid for an hour.
 */
export async function serviceAccountKubeconfig(cluster: ClusterClients, namespace: string, name: string, file: string): Promise<string> {
  const token = (await cluster.kubectl(['create', 'token', name, '-n', namespace, '--duration=1h'])).stdout.trim();
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caCert).toString('base64') } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'local', user: name, namespace } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return file;
}
