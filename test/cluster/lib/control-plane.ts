/**
 * A real Kubernetes control plane on loopback, for `npm run cluster` and the cluster suite: etcd,
 * kube-apiserver and kube-controller-manager built from Kubernetes' own release (./binaries.ts),
 * configured as kubeadm would (x509 client certificates, Node,RBAC authorization, the default
 * admission plugins, service-account token signing) but with no node and no kubelet: pods are
 * stored and never run, which is all an admission webhook needs.
 *
 *   const cp = await startControlPlane();
 *   await cp.kubectl(['create', 'namespace', 'demo']);
 *   await cp.stop();
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary, ensureBinaries, VERSIONS } from './binaries.js';
import { generateControlPlanePki, kubeconfigYaml, SERVICE_CLUSTER_IP_RANGE } from './pki.js';
import { freePort, ManagedProcess, waitFor } from './process.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (e.g. a manifest for `-f -`). */
  input?: string;
  /** Resolve with the non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** What a test needs to talk to a running control plane; see {@link connectControlPlane}. */
export interface ClusterClients {
  /** Where its certificates, kubeconfig, etcd data and logs are. */
  dir: string;
  /** Admin kubeconfig (system:masters), credentials embedded. */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the cluster CA. */
  caCert: string;
  /** Runs the kubectl built with the control plane, as the admin. Throws on a non-zero exit unless allowFailure. */
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** `kubectl ... -o json`, parsed. */
  kubectlJson<T = any>(args: string[]): Promise<T>;
  /** A request to the apiserver as the admin; the body is parsed when it is JSON. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Waits until the namespace's `default` ServiceAccount exists (pods are refused before). */
  waitForServiceAccount(namespace: string, timeoutMs?: number, precondition?: () => void): Promise<void>;
}

export interface ControlPlane extends ClusterClients {
  /** Seconds from start until /readyz answered ok, and until the `default` ServiceAccount existed. */
  timings: { readySeconds: number; serviceAccountSeconds: number };
  /** Stops every process it started (apiserver and controller manager first, then etcd). */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Working directory; emptied first. Default: a new temporary directory, removed by stop(). */
  dir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Called when a process of the control plane exits on its own while it should be running. */
  onUnexpectedExit?: (name: string, description: string, logTail: string) => void;
}

const PIDS_FILE = 'pids.json';

/**
 * Stops processes a previous run in `dir` left behind (a supervisor killed with SIGKILL cannot
 * stop its children): each recorded pid is signalled only if it still runs one of our binaries.
 */
export function stopLeftovers(dir: string): number {
  const file = join(dir, PIDS_FILE);
  if (!existsSync(file)) return 0;
  let stopped = 0;
  for (const pid of JSON.parse(readFileSync(file, 'utf8')) as number[]) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (['etcd', 'kube-apiserver', 'kube-controller-manager'].some((name) => cmdline === binary(name as 'etcd'))) {
        process.kill(pid, 'SIGKILL');
        stopped += 1;
      }
    } catch {
      // gone already
    }
  }
  rmSync(file, { force: true });
  return stopped;
}

const STATE_FILE = 'control-plane.json';

/**
 * Clients for the control plane whose files are in `dir` (as started by {@link startControlPlane},
 * possibly in another process): kubectl and HTTPS requests as the admin.
 */
export function connectControlPlane(dir: string): ClusterClients {
  const { server } = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as { server: string };
  const kubeconfig = join(dir, 'kubeconfig');
  const caCert = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
  const cert = readFileSync(join(dir, 'pki', 'admin.crt'), 'utf8');
  const key = readFileSync(join(dir, 'pki', 'admin.key'), 'utf8');

  const api = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        `${server}${path}`,
        {
          method,
          ca: caCert,
          cert,
          key,
          headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain text, e.g. /readyz
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });

  const kubectl = (args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = execFile(binary('kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (code !== 0 && !opts.allowFailure) reject(new Error(`kubectl ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
        else resolve({ code, stdout, stderr });
      });
      child.stdin?.end(opts.input ?? '');
    });

  const waitForServiceAccount = async (namespace: string, timeoutMs = 60_000, precondition?: () => void) => {
    await waitFor(`the default ServiceAccount of namespace ${namespace}`, timeoutMs, async () => {
      precondition?.();
      const res = await api('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/default`);
      return res.status === 200 ? true : undefined;
    });
  };

  return {
    dir,
    kubeconfig,
    server,
    caCert,
    api,
    kubectl,
    kubectlJson: async (args) => JSON.parse((await kubectl([...args, '-o', 'json'])).stdout),
    waitForServiceAccount,
  };
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  await ensureBinaries(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'], log);
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'control-plane-'));
  if (!ownsDir) {
    stopLeftovers(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const sub of ['pki', 'etcd', 'logs']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });

  const started = performance.now();
  const pki = await generateControlPlanePki();
  const file = (name: string, content: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode });
    return path;
  };
  const caFile = file('pki/ca.crt', pki.ca.cert, 0o644);
  const apiserverCert = file('pki/apiserver.crt', pki.apiserver.cert, 0o644);
  const apiserverKey = file('pki/apiserver.key', pki.apiserver.key);
  const saKey = file('pki/sa.key', pki.serviceAccount.privateKey);
  const saPub = file('pki/sa.pub', pki.serviceAccount.publicKey, 0o644);

  const [etcdClientPort, etcdPeerPort, apiserverPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiserverPort}`;
  file('kubeconfig', kubeconfigYaml(server, pki.ca, { name: 'admin', pair: pki.admin }));
  file('pki/admin.crt', pki.admin.cert, 0o644);
  file('pki/admin.key', pki.admin.key);
  file(STATE_FILE, JSON.stringify({ server, kubernetes: VERSIONS.kubernetes }), 0o644);
  const clients = connectControlPlane(dir);
  const controllerManagerKubeconfig = file('controller-manager.kubeconfig', kubeconfigYaml(server, pki.ca, { name: 'kube-controller-manager', pair: pki.controllerManager }));

  const processes: ManagedProcess[] = [];
  let stopped = false;
  const recordPids = () => writeFileSync(join(dir, PIDS_FILE), JSON.stringify(processes.map((p) => p.pid).filter((pid) => pid !== undefined)));
  const launch = (name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager', args: string[]) => {
    const p = new ManagedProcess(name, binary(name), args, {
      logFile: join(dir, 'logs', `${name}.log`),
      onUnexpectedExit: (proc) => {
        if (!stopped) options.onUnexpectedExit?.(proc.name, proc.exit ?? 'exited', proc.logTail());
      },
    });
    processes.push(p);
    recordPids();
    return p;
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Clients of etcd first, so they do not spend their shutdown retrying a vanished etcd.
    for (const p of processes.slice().reverse()) await p.stop();
    rmSync(join(dir, PIDS_FILE), { force: true });
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };

  const ensureRunning = (p: ManagedProcess) => {
    if (p.exit !== undefined) throw new Error(`${p.name} stopped (${p.exit}); its log ${p.logFile} ends with:\n${p.logTail()}`);
  };

  try {
    log(`starting etcd (data in ${join(dir, 'etcd')})`);
    const etcd = launch('etcd', [
      '--name=local',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=local=http://127.0.0.1:${etcdPeerPort}`,
      // Throw-away data: no fsync keeps a shared disk from setting the pace.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);

    log(`starting kube-apiserver ${VERSIONS.kubernetes} on ${server}`);
    const apiserver = launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The endpoint reconciler refuses a loopback address for the `kubernetes` Service's
      // endpoints; nothing here reaches the apiserver through that Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiserverPort}`,
      `--tls-cert-file=${apiserverCert}`,
      `--tls-private-key-file=${apiserverKey}`,
      `--client-ca-file=${caFile}`,
      '--authorization-mode=Node,RBAC',
      // On top of the default plugins (NamespaceLifecycle, LimitRanger, ServiceAccount, Priority,
      // DefaultTolerationSeconds, MutatingAdmissionWebhook, ValidatingAdmissionWebhook,
      // ResourceQuota, PodSecurity, ...), as kubeadm does.
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      `--cert-dir=${join(dir, 'pki')}`,
      '--profiling=false',
      '--v=1',
    ]);

    await waitFor('kube-apiserver /readyz', 180_000, async () => {
      ensureRunning(etcd);
      ensureRunning(apiserver);
      const res = await clients.api('GET', '/readyz');
      return res.status === 200 ? true : undefined;
    });
    const readySeconds = (performance.now() - started) / 1000;
    log(`kube-apiserver ready after ${readySeconds.toFixed(1)} s`);

    log('starting kube-controller-manager');
    const controllerManager = launch('kube-controller-manager', [
      `--kubeconfig=${controllerManagerKubeconfig}`,
      `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
      `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      `--cert-dir=${join(dir, 'pki', 'controller-manager')}`,
      // Each controller acts as its own service account, as in kubeadm clusters.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caFile}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ]);
    await clients.waitForServiceAccount('default', 120_000, () => ensureRunning(controllerManager));
    const serviceAccountSeconds = (performance.now() - started) / 1000;
    log(`controllers running (default ServiceAccount) after ${serviceAccountSeconds.toFixed(1)} s`);

    return { ...clients, timings: { readySeconds, serviceAccountSeconds }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
