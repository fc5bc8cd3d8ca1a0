/**
 * Istio's injection corpus (../shared/conformance/istio/cases, never copied into the repository)
 * as the cluster suite uses it: each case's inputs and settings, the cases grouped by identical
 * settings (one `serve` per group), and how each input object gets a pod on a control plane that
 * has controllers but no node.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './binaries.js';

/** Where the corpus is when the repository sits beside `shared/`, as in CI. */
export const CORPUS_CASES = join(REPO_ROOT, '..', 'shared', 'conformance', 'istio', 'cases');

/**
 * How an input object's pod comes to be:
 * - `pod`: it is a Pod, created as it is;
 * - `controller`: its controller makes the pod (Deployment, ReplicaSet, ReplicationController,
 *   StatefulSet, Job), with the generateName, owner references and labels a controller adds;
 * - `cronjob`: the CronJob is created and a Job is made from it the way `kubectl create job
 *   --from=cronjob/NAME` does (waiting for its schedule would cost up to a minute);
 * - `template`: its pod template is created as a Pod named `<name>-<random>`, because no
 *   controller here can make one: a DaemonSet places pods on nodes and there is none, and a
 *   DeploymentConfig is an OpenShift kind that Kubernetes does not serve.
 */
export type PodRoute = 'pod' | 'controller' | 'cronjob' | 'template';

const ROUTES: Record<string, { route: PodRoute; collection?: string }> = {
  Pod: { route: 'pod', collection: '/api/v1/namespaces/{ns}/pods' },
  Deployment: { route: 'controller', collection: '/apis/apps/v1/namespaces/{ns}/deployments' },
  ReplicaSet: { route: 'controller', collection: '/apis/apps/v1/namespaces/{ns}/replicasets' },
  StatefulSet: { route: 'controller', collection: '/apis/apps/v1/namespaces/{ns}/statefulsets' },
  ReplicationController: { route: 'controller', collection: '/api/v1/namespaces/{ns}/replicationcontrollers' },
  Job: { route: 'controller', collection: '/apis/batch/v1/namespaces/{ns}/jobs' },
  CronJob: { route: 'cronjob', collection: '/apis/batch/v1/namespaces/{ns}/cronjobs' },
  DaemonSet: { route: 'template' },
  DeploymentConfig: { route: 'template' },
};

/** An input object that carries a pod (or a pod template). */
export interface CorpusObject {
  kind: string;
  name: string;
  route: PodRoute;
  /** The API collection it is created in (`{ns}` to fill in); absent for route `template`. */
  collection?: string;
  /**
   * The input's own name when Kubernetes refuses it (`statusPort`: names are lowercase DNS-1123
   * subdomains); `object` then carries it lowercased, the one change to the input.
   */
  refusedName?: string;
  object: any;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface CorpusCase {
  name: string;
  dir: string;
  /** Extra kube-inject flags of the case (`--native-sidecars true|false`). */
  flags: string[];
  nativeSidecars: boolean;
  /** A substring of the error injection must fail with, or null. */
  expectError: string | null;
  /** The objects of in.yaml that carry a pod, List items included, in input order. */
  objects: CorpusObject[];
  /** Kinds of in.yaml that carry no pod (a Service): not created, nothing to inject. */
  otherKinds: string[];
}

export interface SettingsGroup {
  /** g1, g2, ... in order of first appearance. */
  id: string;
  values: string;
  mesh: string;
  config: string;
  nativeSidecars: boolean;
  cases: CorpusCase[];
}

function caseOf(dir: string, caseName: string): CorpusCase {
  const info = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { flags: string[]; expectError: string | null };
  // `serve` reads only files; a flag it has no equivalent for would make its answers differ.
  const at = info.flags.indexOf('--native-sidecars');
  const rest = info.flags.filter((_, i) => i !== at && i !== at + 1);
  if (at < 0 || rest.length > 0) throw new Error(`corpus case ${caseName}: flags ${JSON.stringify(info.flags)} have no serve equivalent (only --native-sidecars has)`);
  const objects: CorpusObject[] = [];
  const otherKinds: string[] = [];
  const add = (object: any) => {
    if (object?.kind === 'List') {
      for (const item of object.items ?? []) add(item);
      return;
    }
    const route = ROUTES[object?.kind];
    if (route === undefined) {
      otherKinds.push(String(object?.kind));
      return;
    }
    const name: string = object.metadata?.name ?? object.metadata?.generateName;
    if (DNS1123_SUBDOMAIN.test(name)) {
      objects.push({ kind: object.kind, name, ...route, object });
    } else {
      const valid = name.toLowerCase();
      if (!DNS1123_SUBDOMAIN.test(valid)) throw new Error(`corpus case ${caseName}: no valid name for ${object.kind} ${name}`);
      objects.push({ kind: object.kind, name: valid, ...route, refusedName: name, object: { ...object, metadata: { ...object.metadata, name: valid } } });
    }
  };
  for (const doc of parseAllDocuments(readFileSync(join(dir, 'in.yaml'), 'utf8'))) {
    const object = doc.toJS();
    if (object !== null && object !== undefined) add(object);
  }
  return { name: caseName, dir, flags: info.flags, nativeSidecars: info.flags[at + 1] === 'true', expectError: info.expectError, objects, otherKinds };
}

/** Every case of the corpus in `dir`, sorted by name. */
export function loadCorpus(dir = CORPUS_CASES): CorpusCase[] {
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'case.json')))
    .sort()
    .map((name) => caseOf(join(dir, name), name));
}

/** Cases with byte-identical values, mesh and injector config and the same native-sidecar flag. */
export function groupBySettings(cases: CorpusCase[]): SettingsGroup[] {
  const groups = new Map<string, SettingsGroup>();
  for (const c of cases) {
    const [values, mesh, config] = ['values.json', 'mesh.yaml', 'config.yaml'].map((f) => readFileSync(join(c.dir, f), 'utf8')) as [string, string, string];
    const key = createHash('sha256').update(JSON.stringify([values, mesh, config, c.nativeSidecars])).digest('hex');
    let group = groups.get(key);
    if (group === undefined) {
      group = { id: `g${groups.size + 1}`, values, mesh, config, nativeSidecars: c.nativeSidecars, cases: [] };
      groups.set(key, group);
    }
    group.cases.push(c);
  }
  return [...groups.values()];
}

/**
 * The values a `serve` for the group reads: the case's values with the native-sidecar choice
 * where an installation keeps it (istiod's ENABLE_NATIVE_SIDECARS, `pilot.env`), since `serve`
 * has no per-request flag like kube-inject's `--native-sidecars`.
 */
export function serveValues(group: SettingsGroup): string {
  const values = JSON.parse(group.values);
  values.pilot = { ...values.pilot, env: { ...values.pilot?.env, ENABLE_NATIVE_SIDECARS: String(group.nativeSidecars) } };
  return JSON.stringify(values, null, 2);
}

/** The pod template of an object (the object itself for a Pod). */
export function podTemplateOf(object: any): any {
  if (object.kind === 'Pod') return object;
  if (object.kind === 'CronJob') return object.spec.jobTemplate.spec.template;
  return object.spec.template;
}

/**
 * The object as it is created in `namespace`: namespace replaced, one replica (the template is
 * what gets injected; seven identical pods per Deployment would only multiply the work).
 */
export function placed(object: any, namespace: string): any {
  const copy = structuredClone(object);
  copy.metadata = { ...copy.metadata, namespace };
  if (typeof copy.spec?.replicas === 'number') copy.spec.replicas = 1;
  return copy;
}

/** A pod template as a Pod of its own, named after the object like a controller would. */
export function templateAsPod(object: any, namespace: string): any {
  const template = podTemplateOf(object);
  const metadata = { ...structuredClone(template.metadata ?? {}), namespace };
  delete metadata.name;
  metadata.generateName = `${object.metadata.name}-`;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec) };
}
