/**
 * The chart rendered by the real Helm and the `manifests` command, both checked by the real
 * apiserver: `helm lint`, Helm's schema check, `helm template` and `manifests` in every certificate
 * mode and with the settings the README documents, each applied with `kubectl apply
 * --dry-run=server`, and the two renderings compared by what the apiserver would store.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REMOVABLE_KEYS } from '../../src/manifests/merge.js';
import { applyDryRun, CHART, certManagerStandInCrds, helmClient, meaning, renderManifests, writeValues, type HelmClient, type KubeObject } from './lib/helm.js';
import { connectSuite, type Suite } from './support.js';

type Values = Record<string, unknown>;
type Meaning = Record<string, KubeObject>;

/** `{a: {b: null}}` for 'a.b'. */
function nullAt(paths: string[], base: Values = {}): Values {
  const out = structuredClone(base);
  for (const path of paths) {
    const keys = path.split('.');
    let at: any = out;
    for (const key of keys.slice(0, -1)) at = at[key] ??= {};
    at[keys.at(-1)!] = null;
  }
  return out;
}

const find = (m: Meaning, kind: string, name?: string): any => Object.values(m).find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const kinds = (m: Meaning) => Object.values(m).map((o) => o.kind).sort();
const webhook = (m: Meaning) => find(m, 'MutatingWebhookConfiguration').webhooks[0];
const container = (m: Meaning) => find(m, 'Deployment').spec.template.spec.containers[0];

/** Runs `task` over `items`, a few at a time (each one a short-lived process). */
async function inBatches<T>(items: T[], task: (item: T) => Promise<unknown>, size = 4): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}

/** Applies every combination's objects in one dry run and groups what the apiserver returns by combination. */
async function applyAll(cluster: Suite, rendered: Map<string, KubeObject[]>): Promise<Map<string, Meaning>> {
  const combinationOf = new Map<string, string>();
  for (const [name, objects] of rendered) {
    for (const key of Object.keys(meaning(objects))) {
      assert.equal(combinationOf.get(key), undefined, `${key} rendered by two combinations`);
      combinationOf.set(key, name);
    }
  }
  // One apply for all of them: the release names keep the objects apart.
  const result = meaning(await applyDryRun(cluster, [...rendered.values()].flat()));
  assert.deepEqual(Object.keys(result).sort(), [...combinationOf.keys()].sort(), 'the apiserver returned every object');
  const out = new Map<string, Meaning>([...rendered.keys()].map((name) => [name, {}]));
  for (const [key, obj] of Object.entries(result)) out.get(combinationOf.get(key)!)![key] = obj;
  return out;
}

interface Combination {
  /** Also the release name. */
  name: string;
  values: Values;
  /** What the apiserver would store from Helm's rendering: the setting took effect. */
  check(m: Meaning, ns: string): void;
}

describe('the chart through Helm and `manifests` through kubectl, on a real apiserver', () => {
  let cluster: Suite;
  let helm: HelmClient;
  let ns: string;
  let dir: string;
  let caBundle: string;
  let combinations: Combination[];
  const files = new Map<string, string>();
  const stored: Record<'helm' | 'manifests', Map<string, Meaning>> = { helm: new Map(), manifests: new Map() };

  before(async () => {
    cluster = await connectSuite();
    helm = helmClient(cluster);
    ns = await cluster.namespace('helm-render');
    dir = join(cluster.dir, ns);
    caBundle = Buffer.from(cluster.caCert).toString('base64');
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: certManagerStandInCrds() }) });
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/issuers.cert-manager.io', 'crd/certificates.cert-manager.io']);

    const secret = { certificates: { caBundle } };
    const removable = Object.keys(REMOVABLE_KEYS);
    // The innermost keys only: removing a parent as well would hide the removal of its children.
    const leaves = removable.filter((path) => !removable.some((other) => other.startsWith(`${path}.`)));
    combinations = [
      {
        name: 'defaults',
        values: secret,
        check: (m) => {
          assert.deepEqual(kinds(m), ['ConfigMap', 'Deployment', 'MutatingWebhookConfiguration', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
          assert.equal(webhook(m).clientConfig.caBundle, caBundle);
          assert.deepEqual(webhook(m).namespaceSelector.matchLabels, { 'istio-injection': 'enabled' });
          assert.deepEqual(webhook(m).clientConfig.service, { name: 'defaults', namespace: ns, path: '/inject', port: 443 });
        },
      },
      {
        name: 'server',
        values: { certificates: { mode: 'server' } },
        check: (m) => {
          assert.deepEqual(kinds(m), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'MutatingWebhookConfiguration', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
          assert.equal(webhook(m).clientConfig.caBundle, undefined);
          assert.ok(container(m).args.includes('--manage-ca-bundle'));
        },
      },
      {
        name: 'cert-manager',
        values: { certificates: { mode: 'cert-manager' } },
        check: (m) => {
          assert.equal(find(m, 'MutatingWebhookConfiguration').metadata.annotations['cert-manager.io/inject-ca-from'], `${ns}/cert-manager`);
          assert.deepEqual(find(m, 'Certificate').spec.issuerRef, { name: 'cert-manager-selfsigned', kind: 'Issuer', group: 'cert-manager.io' });
          assert.deepEqual(find(m, 'Issuer').spec, { selfSigned: {} });
        },
      },
      {
        name: 'cm-issuer',
        values: { certificates: { mode: 'cert-manager', secretName: 'corp-tls', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }, duration: '720h', renewBefore: '240h' } } },
        check: (m) => {
          assert.equal(find(m, 'Issuer'), undefined);
          const spec = find(m, 'Certificate').spec;
          assert.deepEqual([spec.secretName, spec.issuerRef.kind, spec.duration], ['corp-tls', 'ClusterIssuer', '720h']);
          assert.equal(find(m, 'Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'certs').secret.secretName, 'corp-tls');
        },
      },
      {
        name: 'availability',
        values: {
          ...secret,
          replicaCount: 3,
          podDisruptionBudget: { minAvailable: 2 },
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          webhook: { failurePolicy: 'Ignore', timeoutSeconds: 30, reinvocationPolicy: 'Never' },
        },
        check: (m) => {
          assert.equal(find(m, 'Deployment').spec.replicas, 3);
          assert.equal(find(m, 'PodDisruptionBudget').spec.minAvailable, 2);
          assert.deepEqual(container(m).resources.limits, { cpu: '1', memory: '512Mi' });
          const w = webhook(m);
          assert.deepEqual([w.failurePolicy, w.timeoutSeconds, w.reinvocationPolicy], ['Ignore', 30, 'Never']);
        },
      },
      {
        name: 'single',
        values: { ...secret, replicaCount: 1, resources: { limits: null }, server: { logLevel: 'debug', onInternalError: 'deny', shutdownGraceSeconds: 0 } },
        check: (m) => {
          assert.equal(find(m, 'PodDisruptionBudget'), undefined, 'no budget for one replica');
          assert.deepEqual(container(m).resources, { requests: { cpu: '100m', memory: '128Mi' } }, 'null removed the default limit');
          assert.equal(find(m, 'Deployment').spec.template.spec.terminationGracePeriodSeconds, 5);
          const args: string[] = container(m).args;
          assert.deepEqual([args[args.indexOf('--log-level') + 1], args[args.indexOf('--on-internal-error') + 1]], ['debug', 'deny']);
        },
      },
      {
        name: 'namespaces',
        values: { ...secret, webhook: { name: 'pods.injector.example.com', namespaceLabel: { key: 'istio.io/rev', value: 'canary' }, excludedNamespaces: ['monitoring', ns, 'kube-system'] } },
        check: (m) => {
          const w = webhook(m);
          assert.equal(w.name, 'pods.injector.example.com');
          assert.deepEqual(w.namespaceSelector, {
            matchLabels: { 'istio.io/rev': 'canary' },
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ns, 'monitoring'] }],
          });
        },
      },
      {
        name: 'placement',
        values: {
          ...secret,
          fullnameOverride: 'mesh-injector',
          image: { repository: 'registry.example.com:5000/platform/sidecar-injector', tag: '0.1.0-rc.1', pullPolicy: 'Always' },
          imagePullSecrets: [{ name: 'regcred' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
          server: { port: 8443, monitoringPort: 9090 },
          service: { port: 8443 },
        },
        check: (m) => {
          const pod = find(m, 'Deployment', 'mesh-injector').spec.template.spec;
          assert.equal(pod.containers[0].image, 'registry.example.com:5000/platform/sidecar-injector:0.1.0-rc.1');
          assert.deepEqual([pod.imagePullSecrets, pod.nodeSelector, pod.tolerations.length], [[{ name: 'regcred' }], { 'kubernetes.io/os': 'linux' }, 1]);
          assert.deepEqual(find(m, 'Service', 'mesh-injector').spec.ports.map((p: any) => [p.port, p.targetPort]), [[8443, 'https'], [9090, 'http-monitoring']]);
          assert.deepEqual(pod.containers[0].ports.map((p: any) => p.containerPort), [8443, 9090]);
          assert.equal(webhook(m).clientConfig.service.port, 8443);
        },
      },
      {
        name: 'config',
        values: {
          ...secret,
          config: {
            values: { global: { hub: 'registry.example.com/istio', tag: '1.24.0', proxy: { resources: { requests: { cpu: '50m' } } } } },
            config: { policy: 'enabled', neverInjectSelector: [{ matchLabels: { 'skip-mesh': 'true' } }] },
            mesh: { defaultConfig: { holdApplicationUntilProxyStarts: true } },
          },
        },
        check: (m) => {
          const data = find(m, 'ConfigMap').data;
          assert.equal(data.values.global.hub, 'registry.example.com/istio');
          assert.equal(data.config.policy, 'enabled');
          assert.equal(data.mesh.defaultConfig.holdApplicationUntilProxyStarts, true);
        },
      },
      {
        name: 'external',
        values: { ...secret, service: { externalName: 'injector.example.com' } },
        check: (m) => {
          const spec = find(m, 'Service').spec;
          assert.deepEqual([spec.type, spec.externalName, spec.selector], ['ExternalName', 'injector.example.com', undefined]);
        },
      },
      // Every key the schema leaves optional removed with null, in each mode (mode secret keeps
      // the caBundle it requires), and the containers of optional keys removed whole.
      ...(['secret', 'server', 'cert-manager'] as const).map((mode) => ({
        name: `removed-${mode}`,
        values: nullAt(mode === 'secret' ? leaves.filter((p) => p !== 'certificates.caBundle') : leaves, { certificates: { mode, ...(mode === 'secret' ? { caBundle } : {}) } }),
        check: (m: Meaning) => {
          assert.deepEqual(container(m).resources, {});
          assert.equal(find(m, 'Deployment').spec.template.spec.tolerations, undefined);
          if (mode === 'cert-manager') assert.deepEqual(Object.keys(find(m, 'Certificate').spec).sort(), ['dnsNames', 'issuerRef', 'privateKey', 'secretName']);
        },
      })),
      {
        name: 'removed-parents',
        values: nullAt(['resources', 'certificates.certManager', 'webhook.excludedNamespaces'], { certificates: { mode: 'cert-manager' } }),
        check: (m) => {
          assert.deepEqual(container(m).resources, {});
          assert.deepEqual(webhook(m).namespaceSelector.matchExpressions[0].values, ['kube-system', ns]);
        },
      },
    ];
    for (const c of combinations) files.set(c.name, writeValues(dir, c.name, c.values));
  });

  after(async () => {
    await cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await cluster.kubectl(['delete', 'crd', '-l', 'sidecar-injector.test/stand-in=cert-manager']);
  });

  it('helm lint passes with the defaults (which still need a caBundle) and, strictly, with every combination', async () => {
    const defaults = await helm.run(['lint', CHART]);
    assert.match(defaults.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.match(defaults.stderr, /certificates\.caBundle is required with certificates\.mode=secret/);
    for (const c of combinations) {
      const result = await helm.run(['lint', '--strict', CHART, '--namespace', ns, '--values', files.get(c.name)!], { allowFailure: true });
      assert.equal(result.code, 0, `${c.name}: ${result.stdout}${result.stderr}`);
      assert.doesNotMatch(result.stdout + result.stderr, /\[(WARNING|ERROR)\]|level=WARN/, c.name);
    }
  });

  it('Helm and `manifests` refuse the same invalid values, naming them', async () => {
    const cases: [string, Values, RegExp][] = [
      ['no caBundle in mode secret', {}, /certificates\.caBundle/],
      ['a failure policy', { certificates: { caBundle }, webhook: { failurePolicy: 'Maybe' } }, /webhook[./]failurePolicy/],
      ['a port as a string', { certificates: { caBundle }, server: { port: '9443' } }, /server[./]port/],
      ['a namespace label key', { certificates: { caBundle }, webhook: { namespaceLabel: { key: 'istio injection', value: 'enabled' } } }, /webhook[./]namespaceLabel[./]key/],
      ['a required key removed', { certificates: { caBundle }, podDisruptionBudget: null }, /podDisruptionBudget/],
      ['an unknown key', { certificates: { caBundle }, webhook: { failurPolicy: 'Ignore' } }, /failurPolicy/],
    ];
    for (const [what, values, reason] of cases) {
      const file = writeValues(dir, `invalid-${what.replaceAll(' ', '-')}`, values);
      const rendered = await helm.run(['template', 'invalid', CHART, '--namespace', ns, '--values', file], { allowFailure: true });
      assert.notEqual(rendered.code, 0, `helm accepted ${what}`);
      assert.match(rendered.stderr, reason, `helm on ${what}`);
      await assert.rejects(renderManifests('invalid', ns, [file]), (err: Error) => reason.test(err.message), `manifests on ${what}`);
    }
  });

  it('every combination Helm renders is accepted by the apiserver, and the settings take effect', async () => {
    const rendered = new Map<string, KubeObject[]>();
    await inBatches(combinations, async (c) => rendered.set(c.name, await helm.template(c.name, ns, [files.get(c.name)!])));
    stored.helm = await applyAll(cluster, rendered);
    for (const c of combinations) {
      try {
        c.check(stored.helm.get(c.name)!, ns);
      } catch (err) {
        throw new Error(`combination ${c.name}: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  it('every combination `manifests` renders from the same values file is accepted by the apiserver', async () => {
    const rendered = new Map<string, KubeObject[]>();
    await inBatches(combinations, async (c) => rendered.set(c.name, await renderManifests(c.name, ns, [files.get(c.name)!])));
    stored.manifests = await applyAll(cluster, rendered);
  });

  it('Helm and `manifests` install the same thing, setting for setting (Helm adds only its own labels)', () => {
    assert.equal(stored.helm.size, combinations.length, 'the Helm renderings were applied');
    for (const c of combinations) {
      assert.deepEqual(stored.manifests.get(c.name), stored.helm.get(c.name), `combination ${c.name}: manifests (actual) differs from helm template (expected)`);
    }
  });
});
