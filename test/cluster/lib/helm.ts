/**
 * Helm, the chart and `sidecar-injector manifests` against the suite's control plane: running the
 * helm binary built with it (its own state directories, never the user's), rendering both tools
 * from one values file, and reducing what the apiserver stores to what the installation means.
 *
 *   const helm = helmClient(cluster);
 *   const rendered = await helm.template('inj', ns, valuesFile);
 *   const stored = await applyDryRun(cluster, rendered);
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { binary, REPO_ROOT } from './binaries.js';
import type { ClusterClients, KubectlResult } from './control-plane.js';
import { runCli } from './injector.js';

export const CHART = join(REPO_ROOT, 'charts', 'sidecar-injector');

/** A Kubernetes object as parsed from YAML or JSON. */
export type KubeObject = Record<string, any> & { apiVersion: string; kind: string; metadata: Record<string, any> };

export interface HelmClient {
  /** Runs helm against the control plane; throws on a non-zero exit unless allowFailure. */
  run(args: string[], options?: { allowFailure?: boolean }): Promise<KubectlResult>;
  /** `helm template <release> <chart> -n <namespace> -f <file>...`, parsed. */
  template(release: string, namespace: string, valuesFiles: string[]): Promise<KubeObject[]>;
}

export function helmClient(cluster: ClusterClients): HelmClient {
  // Helm keeps repositories, plugins and caches under these; a directory of the control plane's
  // own keeps the user's ~/.config/helm out of it and goes away with the control plane.
  const home = join(cluster.dir, 'helm');
  const env = { ...process.env, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
  const run = (args: string[], options: { allowFailure?: boolean } = {}) =>
    new Promise<KubectlResult>((resolve, reject) => {
      execFile(binary('helm'), [...args, `--kubeconfig=${cluster.kubeconfig}`], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (code !== 0 && !options.allowFailure) reject(new Error(`helm ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
        else resolve({ code, stdout, stderr });
      });
    });
  return {
    run,
    async template(release, namespace, valuesFiles) {
      const { stdout } = await run(['template', release, CHART, '--namespace', namespace, ...valuesFiles.flatMap((f) => ['--values', f])]);
      return parseDocuments(stdout);
    },
  };
}

/** `sidecar-injector manifests --name <release> --namespace <namespace> -f <file>...`, parsed. */
export async function renderManifests(release: string, namespace: string, valuesFiles: string[]): Promise<KubeObject[]> {
  return parseDocuments(await runCli(['manifests', '--name', release, '--namespace', namespace, ...valuesFiles.flatMap((f) => ['-f', f])]));
}

export function parseDocuments(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`not YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((doc): doc is KubeObject => doc !== null);
}

/** Writes a values file (JSON is YAML) and returns its path. */
export function writeValues(dir: string, name: string, values: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(values, null, 2));
  return file;
}

/**
 * `kubectl apply --dry-run=server` of the objects, as the README tells users to apply `manifests`:
 * the apiserver validates (strict field validation, so an unknown or misplaced field is an error),
 * defaults and admits each one, and returns what it would store. Nothing is persisted.
 */
export async function applyDryRun(cluster: ClusterClients, objects: KubeObject[]): Promise<KubeObject[]> {
  const { stdout } = await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  const out = JSON.parse(stdout);
  return out.kind === 'List' ? out.items : [out];
}

/** The labels only Helm sets (`manifests` has no release to manage). */
export const HELM_ONLY_LABELS = ['app.kubernetes.io/managed-by', 'helm.sh/chart'];

/**
 * What an installation means, from the objects the apiserver would store: per-object and per-call
 * fields (uid, timestamps, managed fields, kubectl's last-applied annotation, the ClusterIP the dry
 * run allocated) and Helm's own labels dropped, and the ConfigMap's files parsed, since Helm's
 * toJson/toYaml and ours spell the same content differently (key order, indentation).
 */
export function meaning(stored: KubeObject[]): Record<string, KubeObject> {
  const out: Record<string, KubeObject> = {};
  for (const original of stored) {
    const obj = structuredClone(original);
    const meta = obj.metadata;
    for (const key of ['uid', 'creationTimestamp', 'managedFields', 'resourceVersion', 'generation']) delete meta[key];
    delete meta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    if (meta.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
    for (const label of HELM_ONLY_LABELS) delete meta.labels?.[label];
    if (obj.kind === 'Service') {
      delete obj.spec.clusterIP;
      delete obj.spec.clusterIPs;
    }
    if (obj.kind === 'ConfigMap' && obj.data) {
      obj.data = Object.fromEntries(Object.entries(obj.data as Record<string, string>).map(([k, v]) => [k, k === 'values' ? JSON.parse(v) : parse(v)]));
    }
    out[`${obj.kind}/${meta.namespace ?? ''}/${meta.name}`] = obj;
  }
  return out;
}

/**
 * Stand-ins for cert-manager's CustomResourceDefinitions (cert-manager itself is not installed):
 * the groups, kinds and scopes of cert-manager.io/v1 Issuer and Certificate, with a structural
 * schema holding only the fields the chart renders, typed as cert-manager documents them. Strict
 * field validation then refuses a field the chart misspells or misplaces; what cert-manager would
 * do with a Certificate (issue it, inject the CA) is not tested.
 */
export function certManagerStandInCrds(): KubeObject[] {
  const crd = (kind: string, plural: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cert-manager.io`, labels: { 'sidecar-injector.test/stand-in': 'cert-manager' } },
    spec: {
      group: 'cert-manager.io',
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
        },
      ],
    },
  });
  const string = { type: 'string' };
  return [
    crd('Issuer', 'issuers', { type: 'object', properties: { selfSigned: { type: 'object', properties: { crlDistributionPoints: { type: 'array', items: string } } } } }),
    crd('Certificate', 'certificates', {
      type: 'object',
      required: ['issuerRef', 'secretName'],
      properties: {
        secretName: string,
        dnsNames: { type: 'array', items: string },
        duration: string,
        renewBefore: string,
        privateKey: {
          type: 'object',
          properties: {
            algorithm: { type: 'string', enum: ['RSA', 'ECDSA', 'Ed25519'] },
            encoding: { type: 'string', enum: ['PKCS1', 'PKCS8'] },
            rotationPolicy: { type: 'string', enum: ['Never', 'Always'] },
            size: { type: 'integer' },
          },
        },
        issuerRef: { type: 'object', required: ['name'], properties: { name: string, kind: string, group: string } },
      },
    }),
  ];
}
