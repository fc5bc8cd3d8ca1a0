/**
 * Pods for scenario tests: a small manifest, and its creation with kubectl as a user runs it, with
 * what the user sees (the stored or dry-run pod, the error on stderr, the `Warning:` lines).
 */
import type { ClusterClients } from './control-plane.js';
import { waitFor } from './process.js';

export interface PodManifestOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Merged over the default spec (one `web` container, nginx:1.27, port 8080). */
  spec?: Record<string, unknown>;
  /** Use generateName `<name>-` instead of a name. */
  generateName?: boolean;
}

/** A pod manifest with one application container. */
export function podManifest(name: string, options: PodManifestOptions = {}): any {
  const metadata: Record<string, unknown> = options.generateName ? { generateName: `${name}-` } : { name };
  if (options.labels) metadata.labels = options.labels;
  if (options.annotations) metadata.annotations = options.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }], ...options.spec },
  };
}

export interface Creation {
  /** kubectl's exit code. */
  code: number;
  /** The pod as the apiserver returned it (stored, or computed by a dry run); undefined on failure. */
  pod: any;
  stderr: string;
  /** The `Warning: ...` lines kubectl printed, without the prefix. */
  warnings: string[];
}

/** `kubectl create -o json [--dry-run=server] -f -` of `pod` in `namespace`; never throws for a refusal. */
export async function createPod(cluster: ClusterClients, namespace: string, pod: unknown, options: { dryRun?: boolean } = {}): Promise<Creation> {
  const args = ['create', '-n', namespace, '-o', 'json', ...(options.dryRun ? ['--dry-run=server'] : []), '-f', '-'];
  const { code, stdout, stderr } = await cluster.kubectl(args, { input: JSON.stringify(pod), allowFailure: true });
  const warnings = stderr.split('\n').filter((line) => line.startsWith('Warning: ')).map((line) => line.slice('Warning: '.length));
  return { code, pod: code === 0 ? JSON.parse(stdout) : undefined, stderr, warnings };
}

/** Names of the pod's containers (or init containers). */
export function containerNames(containers: Array<{ name: string }> | undefined): string[] {
  return (containers ?? []).map((c) => c.name);
}

/** The names of the pods stored in a namespace. */
export async function storedPodNames(cluster: ClusterClients, namespace: string): Promise<string[]> {
  const list = await cluster.kubectlJson(['get', 'pods', '-n', namespace]);
  return list.items.map((p: any) => p.metadata.name);
}

/**
 * Waits until a change to the webhook configurations has reached the apiserver's admission chain
 * (its informer lags a little behind the write): `probe` creates a pod with a server-side dry run
 * and says whether the outcome shows the change.
 */
export async function untilEffective(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  await waitFor(what, timeoutMs, async () => ((await probe()) ? true : undefined), 100);
}
