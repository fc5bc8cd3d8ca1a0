/**
 * Our injector behind the emulator and behind the real apiserver: the same pods, through the same
 * configuration (the one `register` created in the suite), must be stored identically and reach
 * the same decisions. This is what the emulator suite in `npm test` claims for every pod it
 * injects; here it is checked against the real thing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UserInfo } from '../e2e/emulator/users.js';
import { startHarness, type Harness } from '../e2e/emulator/harness.js';
import { adminUser, KUBECTL_CREATE, twinConfiguration } from './lib/emulator-twin.js';
import { createPod } from './lib/pods.js';
import { uniqueSuffix } from './lib/test-webhook.js';
import { connectSuite, type Suite } from './support.js';

const FIXTURES = join('test', 'fixtures', 'e2e', 'pods');

function normal(value: unknown): any {
  const text = JSON.stringify(value)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<random>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>')
    .replace(/"resourceVersion":"\d+"/g, '"resourceVersion":"<rv>"');
  const pod = JSON.parse(text);
  if (pod.metadata.generateName) pod.metadata.name = `${pod.metadata.generateName}<generated>`;
  delete pod.metadata.managedFields;
  return pod;
}

const web = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }], ...spec },
});

describe('our injector stores the same pods behind the emulator as behind the real apiserver', () => {
  let cluster: Suite;
  let user: UserInfo;
  let h: Harness;
  let namespace: string;

  before(async () => {
    cluster = await connectSuite();
    user = adminUser(cluster.dir);
    h = await startHarness();
    // The configuration `register` made in the suite, pointed at the harness's server.
    const registered = await cluster.kubectlJson(['get', 'mutatingwebhookconfiguration', cluster.injector.configurationName]);
    h.api.applyConfiguration(twinConfiguration({ apiVersion: registered.apiVersion, kind: registered.kind, metadata: { name: registered.metadata.name }, webhooks: registered.webhooks }, h.caBundle));
    namespace = await cluster.namespace('parity-ours', { 'istio-injection': 'enabled' });
    h.api.createNamespace(namespace, { 'istio-injection': 'enabled' });
  });
  after(() => h?.close());

  const cases: Array<[string, any]> = [
    ['a named pod', web({ name: `web-${uniqueSuffix()}`, labels: { app: 'web', version: 'v1' } })],
    ['a generateName pod', web({ generateName: 'web-', labels: { app: 'web' } })],
    ['a pod with probes, resources and an annotation', web({ generateName: 'probed-', labels: { app: 'probed' }, annotations: { 'sidecar.istio.io/proxyCPU': '0.2', 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' } }, {
      containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: 1, memory: '0.5Gi' } }, readinessProbe: { httpGet: { port: 8080 } }, livenessProbe: { tcpSocket: { port: 8080 } } }],
    })],
    ['a pod opted out by annotation', web({ generateName: 'skipped-', annotations: { 'sidecar.istio.io/inject': 'false' } })],
    ...readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort().map((f): [string, any] => [`our fixture ${f}`, { apiVersion: 'v1', kind: 'Pod', ...JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) }]),
  ];

  for (const [name, input] of cases) {
    it(name, async () => {
      const pod = input.metadata.name ? { ...input, metadata: { ...input.metadata, name: `${input.metadata.name}-${uniqueSuffix()}` } } : input;
      const account = pod.spec.serviceAccountName;
      if (account) {
        await cluster.kubectl(['create', 'serviceaccount', account, '-n', namespace], { allowFailure: true });
        h.api.createServiceAccount(namespace, account);
      }
      const before = cluster.reviewsIn(namespace).length;
      const real = await createPod(cluster, namespace, pod);
      assert.equal(real.code, 0, real.stderr);
      const emulated = await h.api.createPod(namespace, pod, { ...KUBECTL_CREATE, userInfo: user });
      assert.deepEqual(normal(emulated.stored), normal(real.pod));
      assert.deepEqual(emulated.warnings, real.warnings);
      // The same calls to our webhook (the only one in both), with the same answers: a patch or none.
      const reviews = cluster.reviewsIn(namespace).slice(before);
      assert.ok(reviews.length > 0, 'our webhook was called');
      assert.deepEqual(emulated.calls.map((c) => c.outcome.kind === 'patched'), reviews.map((r) => r.patchOps > 0));
    });
  }
});
