/**
 * Pushes Istio's injection corpus through a real apiserver: one `serve` per group of cases with
 * identical settings, each registered with a configuration that selects only the namespaces of its
 * group (a label unique to the run), every input object created in a namespace of its own, and
 * the expectation computed from an unlabelled twin (see ./expected-pod.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ClusterClients } from './control-plane.js';
import { placed, podTemplateOf, templateAsPod, type CorpusObject, type SettingsGroup } from './corpus.js';
import { prepareCorpusServers, type CorpusServer } from './corpus-servers.js';
import { expectedInjections } from './expected-pod.js';
import { limiter, mapPool } from './pool.js';
import { waitFor } from './process.js';

/** The namespace label the corpus' configurations select on (value: group and run). */
export const CORPUS_LABEL = 'sidecar-injector.test/corpus-settings';
/** The webhook name `register` writes; denials name it. */
export const WEBHOOK_NAME = 'namespace.sidecar-injector.istio.io';

export interface ObjectOutcome {
  object: CorpusObject;
  namespace: string;
  twinNamespace: string;
  /** The pod stored in the labelled namespace, through our webhook. */
  pod?: any;
  /** The same object's pod in the unlabelled twin namespace. */
  twin?: any;
  /** Our kube-inject of the twin as the apiserver answered its dry run: the defaulted Pod, or a Status. */
  expected?: any;
  /** Why there is no pod (a refusal, a timeout). */
  error?: string;
  /** For an object whose input name Kubernetes refuses: the apiserver's answer to it. */
  nameRefusal?: { status: number; message: string };
}

/** For a case whose injection must fail: what the client and the controller were told. */
export interface RefusalOutcome {
  namespace: string;
  /** Creating the pod template as a Pod: status and message the client got. */
  direct: { status: number; message: string };
  /** Creating the Deployment: the ReplicaSet's ReplicaFailure condition. */
  controller?: { reason: string; message: string };
}

export interface CaseOutcome {
  objects: ObjectOutcome[];
  refusals: RefusalOutcome[];
}

export interface CorpusRun {
  cases: Map<string, CaseOutcome>;
  /** The servers, all stopped and unregistered by now; their logs remain. */
  servers: Map<string, CorpusServer>;
  seconds: number;
  /** Every namespace the run labelled, and every twin. */
  namespaces: { labelled: string[]; twins: string[] };
}

const hex = () => randomBytes(3).toString('hex');

async function createNamespace(cluster: ClusterClients, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${hex()}`;
  const res = await cluster.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  if (res.status !== 201) throw new Error(`cannot create namespace ${name}: ${res.status} ${res.body?.message ?? ''}`);
  await cluster.waitForServiceAccount(name);
  return name;
}

async function post(cluster: ClusterClients, collection: string, namespace: string, body: any): Promise<{ status: number; body: any }> {
  const res = await cluster.api('POST', collection.replace('{ns}', namespace), body);
  return { status: res.status, body: res.body };
}

/** The first pod a controller made in `namespace`; fails at once with a FailedCreate event. */
async function controllerPod(cluster: ClusterClients, namespace: string, selector?: string, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await cluster.api('GET', `/api/v1/namespaces/${namespace}/pods${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`);
    const items = (pods.body.items ?? []) as any[];
    // List items come without apiVersion and kind (kubectl adds them back, and so do we).
    if (items.length > 0) return { apiVersion: 'v1', kind: 'Pod', ...items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0] };
    // A refusal is an answer, not a delay: the controller records it as an event.
    const events = await cluster.api('GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=reason%3DFailedCreate`);
    const failed = (events.body.items ?? [])[0];
    if (failed) throw new Error(`${failed.involvedObject?.kind} ${failed.involvedObject?.name}: ${failed.message}`);
    if (Date.now() > deadline) throw new Error(`no pod in ${namespace} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Creates `object` in `namespace` the way its route says and returns the pod it leads to. A
 * ServiceAccount the template names is created first, as its owner would have.
 */
async function podFor(cluster: ClusterClients, object: CorpusObject, namespace: string): Promise<any> {
  const account = podTemplateOf(object.object).spec?.serviceAccountName;
  if (account !== undefined && account !== 'default') {
    const res = await post(cluster, '/api/v1/namespaces/{ns}/serviceaccounts', namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account } });
    if (res.status !== 201) throw new Error(`ServiceAccount ${account} refused: ${res.status} ${res.body?.message}`);
  }
  if (object.route === 'template' || object.route === 'pod') {
    const pod = object.route === 'pod' ? placed(object.object, namespace) : templateAsPod(object.object, namespace);
    const res = await post(cluster, '/api/v1/namespaces/{ns}/pods', namespace, pod);
    if (res.status !== 201) throw new Error(`pod refused: ${res.status} ${res.body?.message ?? JSON.stringify(res.body)}`);
    return res.body;
  }
  const created = placed(object.object, namespace);
  // Suspended so that its schedule adds no Job while the suite runs; the manual Job is made anyway.
  if (object.route === 'cronjob') created.spec.suspend = true;
  const res = await post(cluster, object.collection!, namespace, created);
  if (res.status !== 201) throw new Error(`${object.kind} refused: ${res.status} ${res.body?.message ?? JSON.stringify(res.body)}`);
  if (object.route === 'cronjob') {
    const job = `${object.name}-manual`;
    await cluster.kubectl(['create', 'job', job, `--from=cronjob/${object.name}`, '-n', namespace]);
    return controllerPod(cluster, namespace, `batch.kubernetes.io/job-name=${job}`);
  }
  return controllerPod(cluster, namespace);
}

async function runObject(cluster: ClusterClients, label: Record<string, string>, object: CorpusObject): Promise<ObjectOutcome> {
  const [namespace, twinNamespace] = await Promise.all([createNamespace(cluster, 'corpus', label), createNamespace(cluster, 'twin')]);
  const outcome: ObjectOutcome = { object, namespace, twinNamespace };
  if (object.refusedName !== undefined && object.collection !== undefined) {
    const original = { ...object.object, metadata: { ...object.object.metadata, name: object.refusedName } };
    const res = await post(cluster, `${object.collection}?dryRun=All`, twinNamespace, placed(original, twinNamespace));
    outcome.nameRefusal = { status: res.status, message: res.body?.message ?? '' };
  }
  const [pod, twin] = await Promise.allSettled([podFor(cluster, object, namespace), podFor(cluster, object, twinNamespace)]);
  if (pod.status === 'fulfilled') outcome.pod = pod.value;
  else outcome.error = `through the webhook: ${(pod.reason as Error).message}`;
  if (twin.status === 'fulfilled') outcome.twin = twin.value;
  else outcome.error = `${outcome.error ?? ''} unlabelled twin: ${(twin.reason as Error).message}`.trim();
  return outcome;
}

/** A case whose injection fails: the pod template created directly, and its Deployment. */
async function runRefusal(cluster: ClusterClients, label: Record<string, string>, object: CorpusObject): Promise<RefusalOutcome> {
  const namespace = await createNamespace(cluster, 'corpus', label);
  const res = await post(cluster, '/api/v1/namespaces/{ns}/pods', namespace, templateAsPod(object.object, namespace));
  const outcome: RefusalOutcome = { namespace, direct: { status: res.status, message: res.body?.message ?? JSON.stringify(res.body) } };
  if (object.route === 'controller' || object.route === 'cronjob') {
    const created = await post(cluster, object.collection!, namespace, placed(object.object, namespace));
    if (created.status !== 201) throw new Error(`${object.kind} refused: ${created.status} ${created.body?.message}`);
    if (object.kind === 'Deployment') {
      outcome.controller = await waitFor(`ReplicaFailure of the ReplicaSet in ${namespace}`, 60_000, async () => {
        const list = await cluster.api('GET', `/apis/apps/v1/namespaces/${namespace}/replicasets`);
        const condition = (list.body.items?.[0]?.status?.conditions ?? []).find((c: any) => c.type === 'ReplicaFailure' && c.status === 'True');
        return condition ? { reason: condition.reason, message: condition.message } : undefined;
      }, 250);
      // Otherwise the ReplicaSet controller keeps retrying, and calling the webhook, for good.
      await cluster.api('DELETE', `${object.collection!.replace('{ns}', namespace)}/${object.name}?propagationPolicy=Background`);
    }
  }
  return outcome;
}

/** kube-inject flags for a group: the first case's files (identical for the whole group) and flags. */
function kubeInjectArgs(group: SettingsGroup): string[] {
  const first = group.cases[0]!;
  return ['--valuesFile', join(first.dir, 'values.json'), '--meshConfigFile', join(first.dir, 'mesh.yaml'), '--injectConfigFile', join(first.dir, 'config.yaml'), ...first.flags];
}

/**
 * Each group in turn through its own server, several groups at a time: start and register the
 * server, make sure the apiserver calls it (a dry run comes back injected), create the group's
 * objects, compute their expectations, then unregister and stop it. Objects of all groups share
 * one concurrency limit.
 */
export async function runCorpus(cluster: ClusterClients, groups: SettingsGroup[], options: { log?: (line: string) => void; groupConcurrency?: number; objectConcurrency?: number } = {}): Promise<CorpusRun> {
  const log = options.log ?? (() => {});
  const run = hex();
  const started = performance.now();
  const cases = new Map<string, CaseOutcome>();
  for (const c of groups.flatMap((g) => g.cases)) cases.set(c.name, { objects: [], refusals: [] });
  const servers = new Map<string, CorpusServer>();
  const probes: string[] = [];
  const objectSlot = limiter(options.objectConcurrency ?? 8);
  const shared = await prepareCorpusServers(cluster, groups, { run, labelKey: CORPUS_LABEL });

  // Every group runs to its end (and stops its server) even when another one failed.
  const failures: string[] = [];
  await mapPool(groups, options.groupConcurrency ?? 6, (group) => runGroup(group).catch((err: Error) => void failures.push(`${group.id} (${group.cases.map((c) => c.name).join(', ')}): ${err.stack ?? err}`)));
  if (failures.length > 0) throw new Error(`corpus groups failed:\n${failures.join('\n')}`);
  const seconds = (performance.now() - started) / 1000;
  log(`${groups.length} groups in ${seconds.toFixed(1)} s`);

  const all = [...cases.values()];
  return {
    cases,
    servers,
    seconds,
    namespaces: {
      labelled: [...probes, ...all.flatMap((c) => [...c.objects.map((o) => o.namespace), ...c.refusals.map((r) => r.namespace)])],
      twins: all.flatMap((c) => c.objects.map((o) => o.twinNamespace)),
    },
  };

  async function runGroup(group: SettingsGroup): Promise<void> {
    const server = await shared.start(group);
    servers.set(group.id, server);
    try {
      probes.push(await probe(cluster, server.label));
      await Promise.all(
        group.cases.flatMap((c) =>
          c.objects.map((object) =>
            objectSlot(async () => {
              const outcome = cases.get(c.name)!;
              if (c.expectError !== null) outcome.refusals.push(await runRefusal(cluster, server.label, object));
              else outcome.objects.push(await runObject(cluster, server.label, object));
            }),
          ),
        ),
      );
      // Outcomes were pushed as they finished; keep the input order.
      for (const c of group.cases) cases.get(c.name)!.objects.sort((a, b) => c.objects.indexOf(a.object) - c.objects.indexOf(b.object));
      const outcomes = group.cases.flatMap((c) => cases.get(c.name)!.objects).filter((o) => o.twin !== undefined);
      const expected = await expectedInjections(cluster, outcomes.map((o) => ({ pod: o.twin, namespace: o.twinNamespace })), kubeInjectArgs(group));
      outcomes.forEach((o, i) => (o.expected = expected[i]));
    } finally {
      await server.stop();
    }
  }
}

/**
 * Waits until the apiserver sends the labelled namespaces to the group's server: a configuration
 * takes effect once the apiserver's informer has it, a moment after it is created. Returns the
 * probe's namespace.
 */
async function probe(cluster: ClusterClients, label: Record<string, string>): Promise<string> {
  const namespace = await createNamespace(cluster, 'corpus-probe', label);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'probe-' }, spec: { containers: [{ name: 'probe', image: 'probe' }] } };
  await waitFor(`the webhook for ${namespace}`, 30_000, async () => {
    const res = await post(cluster, '/api/v1/namespaces/{ns}/pods?dryRun=All', namespace, pod);
    if (res.status !== 201) throw new Error(`${res.status} ${res.body?.message}`);
    return res.body.metadata.annotations?.['sidecar.istio.io/status'] !== undefined ? true : undefined;
  });
  return namespace;
}
