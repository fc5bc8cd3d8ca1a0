/**
 * Pods created with kubectl through the real apiserver and the configuration `register` made:
 * what is called, what is stored, and what the user sees (kubectl's output, errors and warnings).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { comparable } from './lib/expected-pod.js';
import { containerNames, createPod, podManifest, storedPodNames } from './lib/pods.js';
import { connectSuite, type Suite } from './support.js';

const STATUS_ANNOTATION = 'sidecar.istio.io/status';
const INJECTED = { 'istio-injection': 'enabled' };

/** A stored pod without a trace of injection. */
function assertUntouched(pod: any): void {
  assert.deepEqual(containerNames(pod.spec.containers), ['web']);
  assert.equal(pod.spec.initContainers, undefined);
  assert.equal(pod.metadata.annotations?.[STATUS_ANNOTATION], undefined, 'no injection status annotation');
}

describe('our webhook through the real apiserver', () => {
  let cluster: Suite;
  let webhookName: string;
  before(async () => {
    cluster = await connectSuite();
    const configuration = await cluster.kubectlJson(['get', 'mutatingwebhookconfiguration', cluster.injector.configurationName]);
    webhookName = configuration.webhooks[0].name;
  });

  it('injects on kubectl create --dry-run=server without storing anything, and our review says dryRun', async () => {
    const ns = await cluster.namespace('dry-run', INJECTED);
    const { code, pod, stderr } = await createPod(cluster, ns, podManifest('web'), { dryRun: true });
    assert.equal(code, 0, stderr);
    assert.deepEqual(containerNames(pod.spec.initContainers), ['istio-init']);
    assert.deepEqual(containerNames(pod.spec.containers), ['web', 'istio-proxy']);
    assert.ok(pod.metadata.annotations[STATUS_ANNOTATION]);
    assert.deepEqual(await storedPodNames(cluster, ns), [], 'nothing stored');

    // The dry run's answer is the pod a real creation stores.
    const real = await createPod(cluster, ns, podManifest('web'));
    assert.deepEqual(comparable(pod), comparable(real.pod));

    // Both passes of the dry run (ours, then the reinvocation after the built-in plugins' token
    // mount) were marked dryRun, then the real creation's two.
    assert.deepEqual(
      cluster.reviewsIn(ns).map((r) => [r.dryRun, r.decision, r.reason, r.patchOps > 0]),
      [
        [true, 'injected', 'policy-enabled', true],
        [true, 'injected', 'already-injected', false],
        [false, 'injected', 'policy-enabled', true],
        [false, 'injected', 'already-injected', false],
      ],
    );
  });

  it('never sees a pod labelled sidecar.istio.io/inject=false (objectSelector); the pod is stored untouched', async () => {
    const ns = await cluster.namespace('opt-out-label', INJECTED);
    const { code, pod, stderr, warnings } = await createPod(cluster, ns, podManifest('web', { labels: { app: 'web', 'sidecar.istio.io/inject': 'false' } }));
    assert.equal(code, 0, stderr);
    assertUntouched(pod);
    assert.deepEqual(warnings, []);
    assert.deepEqual(cluster.reviewsIn(ns), []);
  });

  it('skips a pod annotated sidecar.istio.io/inject: "false" and tells the client why, in a warning', async () => {
    const ns = await cluster.namespace('opt-out-annotation', INJECTED);
    const { code, pod, stderr, warnings } = await createPod(cluster, ns, podManifest('web', { annotations: { 'sidecar.istio.io/inject': 'false' } }));
    assert.equal(code, 0, stderr);
    assertUntouched(pod);
    assert.deepEqual(warnings, ["sidecar-injector: no sidecar injected: the pod's annotation sidecar.istio.io/inject is 'false'"]);
    assert.deepEqual(cluster.reviewsIn(ns).map((r) => [r.decision, r.reason, r.patchOps]), [['skipped', 'annotation-opt-out', 0]]);
  });

  it('skips a hostNetwork pod, with a warning', async () => {
    const ns = await cluster.namespace('host-network', INJECTED);
    const { code, pod, stderr, warnings } = await createPod(cluster, ns, podManifest('web', { spec: { hostNetwork: true } }));
    assert.equal(code, 0, stderr);
    assertUntouched(pod);
    assert.equal(pod.spec.hostNetwork, true);
    assert.deepEqual(warnings, ['sidecar-injector: no sidecar injected: the pod uses the host network (hostNetwork: true)']);
    assert.deepEqual(cluster.reviewsIn(ns).map((r) => [r.decision, r.reason]), [['skipped', 'host-network']]);
  });

  describe('system namespaces labelled istio-injection=enabled', () => {
    const labelled: string[] = [];
    const created: Array<[string, string]> = [];
    const label = async (ns: string) => {
      await cluster.kubectl(['label', 'namespace', ns, 'istio-injection=enabled']);
      labelled.push(ns);
    };
    after(async () => {
      for (const [ns, name] of created) await cluster.kubectl(['delete', 'pod', '-n', ns, name, '--ignore-not-found', '--wait=false']);
      for (const ns of labelled) await cluster.kubectl(['label', 'namespace', ns, 'istio-injection-']);
    });

    it('kube-system: the configuration excludes it, so the webhook is never called', async () => {
      await label('kube-system');
      const name = `plain-${Date.now().toString(36)}`;
      const { code, pod, stderr, warnings } = await createPod(cluster, 'kube-system', podManifest(name));
      assert.equal(code, 0, stderr);
      created.push(['kube-system', name]);
      assertUntouched(pod);
      assert.deepEqual(warnings, []);
      assert.deepEqual(cluster.reviewsIn('kube-system'), []);
    });

    it('kube-public: the configuration lets it through; our server skips it as a system namespace, with a warning', async () => {
      await label('kube-public');
      const name = `plain-${Date.now().toString(36)}`;
      const { code, pod, stderr, warnings } = await createPod(cluster, 'kube-public', podManifest(name));
      assert.equal(code, 0, stderr);
      created.push(['kube-public', name]);
      assertUntouched(pod);
      assert.deepEqual(warnings, ["sidecar-injector: no sidecar injected: namespace 'kube-public' is a system namespace"]);
      assert.deepEqual(cluster.reviewsIn('kube-public').map((r) => [r.pod, r.decision, r.reason]), [[name, 'skipped', 'system-namespace']]);
    });
  });

  it('refuses a pod with an invalid annotation: kubectl shows our message, nothing is stored', async () => {
    const ns = await cluster.namespace('bad-annotation', INJECTED);
    const manifest = podManifest('web', { annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/33' } });
    const { code, stderr } = await createPod(cluster, ns, manifest);
    assert.equal(code, 1);
    assert.equal(
      stderr.trim(),
      `Error from server (BadRequest): error when creating "STDIN": admission webhook "${webhookName}" denied the request: ` +
        "invalid value '10.0.0.0/33' for annotation 'traffic.sidecar.istio.io/includeOutboundIPRanges': includeIPRanges invalid: " +
        "failed parsing cidr '10.0.0.0/33': prefix length out of range (not a CIDR such as 10.0.0.0/8)",
    );
    assert.deepEqual(await storedPodNames(cluster, ns), []);
    assert.deepEqual(cluster.reviewsIn(ns).map((r) => [r.decision, r.reason]), [['denied', 'invalid-annotation']]);
  });
});
