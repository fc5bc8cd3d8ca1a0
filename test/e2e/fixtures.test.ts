/**
 * Pods of our own making (test/fixtures/e2e/pods), shaped as controllers create them, injected by
 * our real server in a chain: a webhook before ours adds a container, one after ours adds a
 * label, so every pod goes through reinvocation. No patch or validation may fail and our second
 * call must change nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateServingCert } from '../../src/certs/generate.js';
import { injectorConfiguration, startFakeWebhook, startHarness, type Harness } from './emulator/harness.js';

const DIR = join('test', 'fixtures', 'e2e', 'pods');
const OURS = 'sidecar-injector.istio.io';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

function answer(review: any, ops: unknown[]) {
  return { body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...(ops.length > 0 ? { patchType: 'JSONPatch', patch: b64(ops) } : {}) } } };
}

function tool(configName: string, name: string, caBundle: string): any {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: configName },
    webhooks: [
      {
        name: `${name}.tools.example.com`,
        clientConfig: { service: { name, namespace: 'tools', path: '/mutate' }, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
}

describe('our own pod fixtures through a chain of webhooks', () => {
  let h: Harness;
  const closers: Array<() => Promise<void>> = [];
  before(async () => {
    h = await startHarness();
    const logger = await startFakeWebhook(await generateServingCert(h.ca, { sans: ['logger.tools.svc'] }), (review) => {
      const spec = review.request.object.spec;
      return answer(review, spec.containers.some((c: any) => c.name === 'log-shipper') ? [] : [{ op: 'add', path: '/spec/containers/-', value: { name: 'log-shipper', image: 'fluent-bit:3.0' } }]);
    });
    const labeler = await startFakeWebhook(await generateServingCert(h.ca, { sans: ['labeler.tools.svc'] }), (review) => {
      const labels = review.request.object.metadata.labels;
      return answer(review, labels === undefined ? [{ op: 'add', path: '/metadata/labels', value: { cost: 'shop' } }] : labels.cost ? [] : [{ op: 'add', path: '/metadata/labels/cost', value: 'shop' }]);
    });
    closers.push(logger.close, labeler.close);
    h.api.registerService('logger', 'tools', logger.port);
    h.api.registerService('labeler', 'tools', labeler.port);
    h.api.applyConfiguration(tool('a-logger', 'logger', h.caBundle));
    h.api.applyConfiguration(injectorConfiguration(h.caBundle));
    h.api.applyConfiguration(tool('z-labeler', 'labeler', h.caBundle));
    h.api.createNamespace('shop', { 'istio-injection': 'enabled' });
  });
  after(async () => {
    for (const close of closers) await close();
    await h.close();
  });

  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  it('has fixtures', () => assert.ok(files.length >= 4));

  for (const file of files) {
    it(`injects ${file} once, validly, and reinvocation changes nothing`, async () => {
      const input = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
      if (input.spec.serviceAccountName) h.api.createServiceAccount('shop', input.spec.serviceAccountName);
      const { pod, calls } = await h.api.createPod('shop', input);
      const ours = calls.filter((c) => c.webhook === OURS);
      assert.equal(ours[0]?.outcome.kind, 'patched');
      assert.deepEqual(ours.slice(1).map((c) => c.outcome.kind), ['allowed'], 'reinvoked once, with no change');
      const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      assert.equal(all.filter((c: any) => c.name === 'istio-proxy').length, 1);
      assert.ok(all.some((c: any) => c.name === 'log-shipper'), 'the earlier webhook’s container is kept');
      assert.equal(pod.metadata.labels.cost, 'shop');
      assert.equal(pod.metadata.labels['security.istio.io/tlsMode'], 'istio');
      // Our first call saw the earlier webhook's container, and the name only when the pod has one.
      assert.ok(ours[0]!.sent.body.request.object.spec.containers.some((c: any) => c.name === 'log-shipper'));
      assert.equal(ours[0]!.sent.body.request.name, input.metadata.name);
      if (input.spec.automountServiceAccountToken === false) {
        assert.ok(all.every((c: any) => !(c.volumeMounts ?? []).some((m: any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount')));
      }
    });
  }
});
