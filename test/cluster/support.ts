/**
 * What a cluster test file uses: the control plane and webhook that run-suite.ts started, and
 * helpers for the usual steps (a namespace of one's own, waiting for a controller's pod, running our
 * CLI). A new scenario is a new `*.test.ts` beside the others:
 *
 *   const cluster = await connectSuite();
 *   const ns = await cluster.namespace('demo', { 'istio-injection': 'enabled' });
 *   await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx', '-n', ns]);
 *   const [pod] = await cluster.podsOf(ns, 'app=web');
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectControlPlane, type ClusterClients } from './lib/control-plane.js';
import { waitFor } from './lib/process.js';

export { runCli } from './lib/injector.js';

/** The environment variable through which run-suite.ts tells test files where the suite's state is. */
export const SUITE_ENV = 'SIDECAR_INJECTOR_CLUSTER_SUITE';

export interface SuiteState {
  dir: string;
  injector: { port: number; namespace: string; service: string; configurationName: string; logFile: string };
}

export interface Suite extends ClusterClients {
  injector: SuiteState['injector'];
  /**
   * Creates a namespace with a unique name starting with `prefix` and the given labels, and waits
   * for its `default` ServiceAccount (the ServiceAccount admission plugin refuses pods before).
   */
  namespace(prefix: string, labels?: Record<string, string>): Promise<string>;
  /** Waits until `count` pods matching the label selector exist in the namespace; returns them. */
  podsOf(namespace: string, selector: string, count?: number): Promise<any[]>;
  /** The reviews the suite's injector logged for a namespace, oldest first (pino JSON lines). */
  reviewsIn(namespace: string): any[];
}

export async function connectSuite(): Promise<Suite> {
  const stateFile = process.env[SUITE_ENV];
  if (!stateFile) throw new Error(`cluster tests run through 'npm run test:cluster' (${SUITE_ENV} is not set)`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SuiteState;
  const clients = connectControlPlane(state.dir);
  return {
    ...clients,
    injector: state.injector,
    async namespace(prefix, labels = {}) {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      await clients.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) });
      await clients.waitForServiceAccount(name);
      return name;
    },
    async podsOf(namespace, selector, count = 1) {
      return waitFor(`${count} pod(s) ${selector} in ${namespace}`, 60_000, async () => {
        const list = await clients.kubectlJson(['get', 'pods', '-n', namespace, '-l', selector]);
        return list.items.length >= count ? list.items : undefined;
      });
    },
    reviewsIn(namespace) {
      return readFileSync(state.injector.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
        .filter((entry) => entry.msg === 'review' && entry.namespace === namespace);
    },
  };
}
