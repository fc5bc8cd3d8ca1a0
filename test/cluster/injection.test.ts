/**
 * Pods created by the real controllers, admitted by the real apiserver through our webhook.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { comparable, expectedInjection } from './lib/expected-pod.js';
import { connectSuite, type Suite } from './support.js';

const names = (containers: { name: string }[] | undefined) => (containers ?? []).map((c) => c.name);

describe('a Deployment on a real control plane', () => {
  let cluster: Suite;
  before(async () => {
    cluster = await connectSuite();
  });

  it("stores the ReplicaSet controller's pod with the sidecar, as kube-inject gives it after defaulting", async () => {
    const injected = await cluster.namespace('inject', { 'istio-injection': 'enabled' });
    const plain = await cluster.namespace('plain');
    for (const ns of [injected, plain]) {
      await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=8080', '-n', ns]);
    }
    const [pod] = await cluster.podsOf(injected, 'app=web');
    const [reference] = await cluster.podsOf(plain, 'app=web');

    // What the controller and built-in admission made of it, and what our webhook added.
    assert.ok(pod.metadata.generateName?.startsWith('web-'), 'created by the ReplicaSet controller with generateName');
    assert.equal(pod.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet');
    assert.ok(pod.spec.volumes.some((v: any) => v.name.startsWith('kube-api-access-')), 'token volume of the ServiceAccount plugin');
    assert.deepEqual(names(pod.spec.initContainers), ['istio-init']);
    assert.deepEqual(names(pod.spec.containers), ['nginx', 'istio-proxy']);
    assert.ok(pod.metadata.annotations?.['sidecar.istio.io/status'], 'injection status annotation');
    // Once a webhook changed the pod, the apiserver reruns the built-in plugins: the ServiceAccount
    // plugin mounts the token into the containers we added as well.
    const proxy = pod.spec.containers.find((c: any) => c.name === 'istio-proxy');
    assert.ok(proxy.volumeMounts.some((m: any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'));

    // The unlabelled twin is untouched...
    assert.deepEqual(names(reference.spec.containers), ['nginx']);
    assert.equal(reference.spec.initContainers, undefined);
    // ...and, injected by kube-inject and defaulted, equals the pod our webhook injected.
    const expected = await expectedInjection(cluster, reference, plain);
    assert.deepEqual(comparable(pod), comparable(expected));

    // That token mount counts as a change after us, so our webhook (IfNeeded) was called once more
    // and answered with no patch: re-injection is a no-op.
    assert.deepEqual(
      cluster.reviewsIn(injected).map((r) => [r.decision, r.reason, r.patchOps > 0]),
      [
        ['injected', 'policy-enabled', true],
        ['injected', 'already-injected', false],
      ],
    );
  });

  it('leaves a pod in an unlabelled namespace alone: the webhook is never called', async () => {
    const ns = await cluster.namespace('unlabelled');
    await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '-n', ns]);
    const [pod] = await cluster.podsOf(ns, 'app=web');
    assert.deepEqual(names(pod.spec.containers), ['nginx']);
    assert.equal(pod.spec.initContainers, undefined);
    assert.equal(pod.metadata.annotations?.['sidecar.istio.io/status'], undefined);
    assert.deepEqual(cluster.reviewsIn(ns), []);
  });
});
