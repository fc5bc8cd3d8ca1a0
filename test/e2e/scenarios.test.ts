/**
 * Our real HTTPS server behind the emulated kube-apiserver: what users see when they create pods.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from './emulator/apiserver.js';
import { appPod, injectorConfiguration, SERVICE, startFakeWebhook, startHarness, type Harness } from './emulator/harness.js';

const names = (list: any[] | undefined) => (list ?? []).map((c: any) => c.name);

describe('pod creation through the apiserver with sidecar-injector registered', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ nativeSidecars: false });
    h.api.applyConfiguration(injectorConfiguration(h.caBundle));
    h.api.createNamespace('shop', { 'istio-injection': 'enabled' });
    h.api.createNamespace('plain');
    h.api.createNamespace('off', { 'istio-injection': 'disabled' });
  });
  after(() => h.close());

  it('injects a pod in a namespace labelled istio-injection=enabled; the result passes pod validation', async () => {
    const { pod, calls } = await h.api.createPod('shop', appPod());
    // Our patch changed the pod, so the chain reruns: the ServiceAccount plugin mounts the API
    // token into our containers too, which re-arms our IfNeeded webhook; that call changes nothing.
    assert.deepEqual(calls.map((c) => [c.round, c.outcome.kind]), [[0, 'patched'], [1, 'allowed']]);
    assert.deepEqual(names(pod.spec.containers), ['web', 'istio-proxy']);
    const tokenMounts = (c: any) => (c.volumeMounts ?? []).filter((m: any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount').length;
    assert.deepEqual([...pod.spec.initContainers, ...pod.spec.containers].map(tokenMounts), [1, 1, 1]);
    assert.deepEqual(names(pod.spec.initContainers), ['istio-init']);
    assert.equal(pod.metadata.labels['security.istio.io/tlsMode'], 'istio');
  });

  it('sends the request exactly as the apiserver does', async () => {
    const { calls } = await h.api.createPod('shop', appPod('exact'));
    const sent = calls[0]!.sent;
    assert.equal(sent.path, '/inject?timeout=10s');
    assert.equal(sent.headers.Host, `${SERVICE.name}.${SERVICE.namespace}.svc:443`);
    assert.equal(sent.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(sent.body.request.oldObject, null);
    assert.equal(sent.body.request.dryRun, false);
  });

  it('never calls the webhook for unlabelled or istio-injection=disabled namespaces', async () => {
    for (const namespace of ['plain', 'off']) {
      const { pod, calls } = await h.api.createPod(namespace, appPod());
      assert.equal(calls.length, 0);
      assert.deepEqual(names(pod.spec.containers), ['web']);
    }
  });

  it('never calls the webhook for a pod labelled sidecar.istio.io/inject=false', async () => {
    const { pod, calls } = await h.api.createPod('shop', appPod('batch', { app: 'batch', 'sidecar.istio.io/inject': 'false' }));
    assert.equal(calls.length, 0);
    assert.deepEqual(names(pod.spec.containers), ['web']);
  });

  it('injects a generateName pod, which has no name yet', async () => {
    const pod = appPod();
    delete pod.metadata.name;
    pod.metadata.generateName = 'web-7d9c6b8f5d-';
    pod.metadata.labels['pod-template-hash'] = '7d9c6b8f5d';
    pod.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c6b8f5d', uid: 'u', controller: true }];
    const result = await h.api.createPod('shop', pod);
    assert.equal(result.calls[0]!.sent.body.request.name, undefined);
    const proxy = result.pod.spec.containers.find((c: any) => c.name === 'istio-proxy');
    assert.equal(proxy.env.find((e: any) => e.name === 'ISTIO_META_WORKLOAD_NAME').value, 'web');
  });

  it('gives every replica of a ReplicaSet the same patch, though each has its own token volume', async () => {
    const replica = () => {
      const pod = appPod();
      delete pod.metadata.name;
      pod.metadata.generateName = 'cart-5f6d7c8b9a-';
      pod.metadata.labels = { app: 'cart', 'pod-template-hash': '5f6d7c8b9a' };
      pod.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-5f6d7c8b9a', uid: 'rs-uid', controller: true }];
      return pod;
    };
    const results: Awaited<ReturnType<Harness['api']['createPod']>>[] = [];
    for (let i = 0; i < 3; i++) results.push(await h.api.createPod('shop', replica()));
    for (const result of results) {
      assert.deepEqual(result.calls.map((c) => [c.round, c.outcome.kind]), [[0, 'patched'], [1, 'allowed']]);
      assert.deepEqual(result.calls[0]!.outcome, results[0]!.calls[0]!.outcome);
    }
    // The ServiceAccount plugin names each pod's token volume at random before webhooks run, so
    // the reviews of replicas are not identical (a cache of whole reviews would never hit).
    const tokenVolume = (r: (typeof results)[number]) => r.calls[0]!.sent.body.request.object.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-')).name;
    assert.equal(new Set(results.map(tokenVolume)).size, 3);
  });

  it('answers a dry run like a real one', async () => {
    const { pod, calls } = await h.api.createPod('shop', appPod('dry'), { dryRun: true });
    assert.equal(calls[0]!.sent.body.request.dryRun, true);
    assert.deepEqual(calls[0]!.sent.body.request.options.dryRun, ['All']);
    assert.ok(names(pod.spec.initContainers).includes('istio-init'));
  });

  it('denies a pod with an invalid annotation with a message naming it', async () => {
    const pod = appPod('bad');
    pod.metadata.annotations = { 'traffic.sidecar.istio.io/excludeOutboundPorts': 'http' };
    await assert.rejects(h.api.createPod('shop', pod), (err: unknown) => err instanceof ApiError && err.code === 400 && /admission webhook "sidecar-injector.istio.io" denied the request: invalid value 'http'/.test(err.message));
  });

  it('works with a configuration that only speaks v1beta1', async () => {
    const h2 = await startHarness();
    try {
      h2.api.applyConfiguration(injectorConfiguration(h2.caBundle, { admissionReviewVersions: ['v1beta1'] }));
      h2.api.createNamespace('shop', { 'istio-injection': 'enabled' });
      const { pod, calls } = await h2.api.createPod('shop', appPod());
      assert.equal(calls[0]!.sent.body.apiVersion, 'admission.k8s.io/v1beta1');
      assert.ok(names(pod.spec.containers).includes('istio-proxy'));
    } finally {
      await h2.close();
    }
  });
});

describe('sidecar-injector in a chain of webhooks', () => {
  it('sees an earlier webhook’s changes, and its reinvocation changes nothing', async () => {
    const h = await startHarness({ nativeSidecars: true });
    // A webhook sorted before ours adds a container; another one after ours adds a label.
    const addContainer = await startFakeWebhook(h.ca.cert ? await leafFor(h, 'adder.tools.svc') : h.ca, (review) => ({
      body: {
        apiVersion: review.apiVersion,
        kind: 'AdmissionReview',
        response: {
          uid: review.request.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(review.request.object.spec.containers.some((c: any) => c.name === 'logger') ? [] : [{ op: 'add', path: '/spec/containers/-', value: { name: 'logger', image: 'busybox:1.36' } }])).toString('base64'),
        },
      },
    }));
    const addLabel = await startFakeWebhook(await leafFor(h, 'labeler.tools.svc'), (review) => ({
      body: {
        apiVersion: review.apiVersion,
        kind: 'AdmissionReview',
        response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(review.request.object.metadata.labels.team ? [] : [{ op: 'add', path: '/metadata/labels/team', value: 'a' }])).toString('base64') },
      },
    }));
    try {
      h.api.registerService('adder', 'tools', addContainer.port);
      h.api.registerService('labeler', 'tools', addLabel.port);
      h.api.applyConfiguration(injectorConfiguration(h.caBundle));
      h.api.applyConfiguration(otherConfiguration('a-adder', 'adder.tools.io', 'adder', h.caBundle));
      h.api.applyConfiguration(otherConfiguration('z-labeler', 'labeler.tools.io', 'labeler', h.caBundle));
      h.api.createNamespace('shop', { 'istio-injection': 'enabled' });
      const { pod, calls } = await h.api.createPod('shop', appPod());
      const proxy = pod.spec.initContainers.find((c: any) => c.name === 'istio-proxy');
      assert.equal(proxy.env.find((e: any) => e.name === 'ISTIO_META_APP_CONTAINERS').value, 'web,logger');
      assert.equal(pod.metadata.labels.team, 'a');
      const ours = calls.filter((c) => c.webhook === 'sidecar-injector.istio.io');
      assert.equal(ours.length, 2, 'reinvoked after the labeler changed the pod');
      assert.equal(ours[1]!.outcome.kind, 'allowed', 'the second call changes nothing');
      assert.notEqual(ours[0]!.sent.body.request.uid, ours[1]!.sent.body.request.uid);
    } finally {
      await addContainer.close();
      await addLabel.close();
      await h.close();
    }
  });
});

describe('when sidecar-injector is down or slow', () => {
  for (const failurePolicy of ['Ignore', 'Fail'] as const) {
    it(`server down, failurePolicy ${failurePolicy}`, async () => {
      const h = await startHarness();
      h.api.applyConfiguration(injectorConfiguration(h.caBundle, { failurePolicy }));
      h.api.createNamespace('shop', { 'istio-injection': 'enabled' });
      await h.close();
      const creation = h.api.createPod('shop', appPod());
      if (failurePolicy === 'Ignore') assert.deepEqual(names((await creation).pod.spec.containers), ['web']);
      else await assert.rejects(creation, (err: unknown) => err instanceof ApiError && err.code === 500 && /failed calling webhook "sidecar-injector.istio.io": failed to call webhook: Post "https:\/\/sidecar-injector.istio-system.svc:443\/inject\?timeout=10s": dial tcp 127.0.0.1:\d+: connect: connection refused$/.test(err.message));
    });

    it(`server slower than timeoutSeconds, failurePolicy ${failurePolicy}`, async () => {
      const h = await startHarness();
      await h.close();
      const slow = await startFakeWebhook(await leafFor(h, `${SERVICE.name}.${SERVICE.namespace}.svc`), () => ({ delayMs: 3000, body: {} }));
      try {
        h.api.registerService(SERVICE.name, SERVICE.namespace, slow.port);
        h.api.applyConfiguration(injectorConfiguration(h.caBundle, { failurePolicy, timeoutSeconds: 1 }));
        h.api.createNamespace('shop', { 'istio-injection': 'enabled' });
        const creation = h.api.createPod('shop', appPod());
        if (failurePolicy === 'Ignore') assert.deepEqual(names((await creation).pod.spec.containers), ['web']);
        else await assert.rejects(creation, /failed calling webhook "sidecar-injector.istio.io": failed to call webhook: Post "https:\/\/sidecar-injector.istio-system.svc:443\/inject\?timeout=1s": context deadline exceeded$/);
      } finally {
        await slow.close();
      }
    });
  }
});

import { generateServingCert } from '../../src/certs/generate.js';

async function leafFor(h: Harness, dnsName: string) {
  return generateServingCert(h.ca, { sans: [dnsName] });
}

function otherConfiguration(name: string, webhookName: string, service: string, caBundle: string): any {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: webhookName,
        clientConfig: { service: { name: service, namespace: 'tools', path: '/mutate' }, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
}
