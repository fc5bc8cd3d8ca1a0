/**
 * The webhook configuration's knobs, on the real apiserver with our real server: the review
 * version, failurePolicy when our server is down or too slow, and reinvocation after another
 * mutating webhook. Each test registers configurations of its own that select only namespaces
 * carrying a label unique to the test, so the shared control plane's other pods never meet them.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { comparable } from './lib/expected-pod.js';
import { CLI } from './lib/injector.js';
import { containerNames, createPod, podManifest, storedPodNames, untilEffective } from './lib/pods.js';
import { freePort, ManagedProcess } from './lib/process.js';
import { applyConfiguration, deleteConfiguration, mutatingConfiguration, patched, startTestWebhook, uniqueSuffix, webhookEntry, type TestWebhook } from './lib/test-webhook.js';
import { connectSuite, type Suite } from './support.js';

const STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** The container the later webhook adds. */
const ADDED = { name: 'added', image: 'busybox:1.37', command: ['sleep', 'infinity'] };

describe('webhook configuration policies on the real apiserver', () => {
  let cluster: Suite;
  /** How the suite's registration reaches our server: Service, path, port and caBundle. */
  let ourClientConfig: any;
  const configurations: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    cluster = await connectSuite();
    const registered = await cluster.kubectlJson(['get', 'mutatingwebhookconfiguration', cluster.injector.configurationName]);
    ourClientConfig = registered.webhooks[0].clientConfig;
  });
  after(async () => {
    for (const name of configurations) await deleteConfiguration(cluster, name);
    for (const cleanup of cleanups) await cleanup();
  });

  /** A label unique to one test, a namespace carrying it (plus `labels`), and a configuration name. */
  async function scope(prefix: string, labels: Record<string, string> = {}) {
    const suffix = uniqueSuffix();
    const selector = { [`scenario-${prefix}-${suffix}`]: 'yes' };
    const namespace = await cluster.namespace(prefix, { ...selector, ...labels });
    return { selector, namespace, configuration: `${prefix}-${suffix}` };
  }

  async function register(configuration: Record<string, unknown>) {
    await applyConfiguration(cluster, configuration);
    configurations.push((configuration.metadata as { name: string }).name);
  }

  async function setFailurePolicy(name: string, policy: 'Fail' | 'Ignore') {
    await cluster.kubectl(['patch', 'mutatingwebhookconfiguration', name, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: policy }])]);
  }

  const injected = (pod: any) => containerNames(pod?.spec.containers).includes('istio-proxy');

  it('admissionReviewVersions [v1beta1]: our server gets a v1beta1 review and the pod is injected as through v1', async () => {
    const s = await scope('v1beta1');
    await register(mutatingConfiguration(s.configuration, s.selector, [webhookEntry('v1beta1.sidecar-injector.test.io', ourClientConfig, { admissionReviewVersions: ['v1beta1'], reinvocationPolicy: 'IfNeeded' })]));
    await untilEffective('the v1beta1 configuration', async () => injected((await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).pod));

    const { code, pod, stderr } = await createPod(cluster, s.namespace, podManifest('web'));
    assert.equal(code, 0, stderr);
    assert.deepEqual(containerNames(pod.spec.initContainers), ['istio-init']);
    assert.deepEqual(containerNames(pod.spec.containers), ['web', 'istio-proxy']);
    const real = cluster.reviewsIn(s.namespace).filter((r) => !r.dryRun);
    assert.deepEqual(real.map((r) => [r.apiVersion, r.decision, r.reason, r.patchOps > 0]), [
      ['admission.k8s.io/v1beta1', 'injected', 'policy-enabled', true],
      ['admission.k8s.io/v1beta1', 'injected', 'already-injected', false],
    ]);

    // The same pod through the suite's v1 registration is stored identically.
    const v1Namespace = await cluster.namespace('v1', { 'istio-injection': 'enabled' });
    const twin = await createPod(cluster, v1Namespace, podManifest('web'));
    assert.deepEqual(comparable(pod), comparable(twin.pod));
    assert.ok(cluster.reviewsIn(v1Namespace).every((r) => r.apiVersion === 'admission.k8s.io/v1'));
  });

  it('failurePolicy with our server stopped: Fail refuses the pod with "failed calling webhook", Ignore admits it without sidecar', async () => {
    const s = await scope('down');
    // A second instance of our server, with the suite's certificate, reached through the same
    // Service on a port of its own.
    const certs = join(dirname(cluster.injector.logFile), 'certs');
    const port = await freePort();
    const server = new ManagedProcess('sidecar-injector (second)', process.execPath, [
      CLI, 'serve', '--host', '127.0.0.1', '--port', String(port),
      '--tls-cert-file', join(certs, 'tls.crt'), '--tls-key-file', join(certs, 'tls.key'),
      '--monitoring-port', '0', '--shutdown-delay-seconds', '0',
    ], { logFile: join(cluster.dir, `serve-${s.configuration}.log`) });
    cleanups.push(() => server.stop());
    const clientConfig = { ...ourClientConfig, service: { ...ourClientConfig.service, port } };
    const name = 'down.sidecar-injector.test.io';
    await register(mutatingConfiguration(s.configuration, s.selector, [webhookEntry(name, clientConfig, { failurePolicy: 'Fail' })]));
    await untilEffective('the second server, registered', async () => injected((await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).pod));

    await server.stop();
    const refused = await createPod(cluster, s.namespace, podManifest('refused'));
    assert.equal(refused.code, 1);
    const url = `https://${ourClientConfig.service.name}.${ourClientConfig.service.namespace}.svc:${port}${ourClientConfig.service.path}?timeout=10s`;
    assert.match(
      refused.stderr.trim(),
      new RegExp(`^Error from server \\(InternalError\\): error when creating "STDIN": Internal error occurred: failed calling webhook "${name}": failed to call webhook: Post "${url.replace(/[.?]/g, '\\$&')}": dial tcp (127\\.0\\.0\\.1|\\[::1\\]):${port}: connect: connection refused$`),
    );

    await setFailurePolicy(s.configuration, 'Ignore');
    await untilEffective('failurePolicy Ignore', async () => (await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).code === 0);
    const admitted = await createPod(cluster, s.namespace, podManifest('admitted'));
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.deepEqual(admitted.warnings, [], 'a webhook skipped under Ignore leaves the client no warning');
    assert.deepEqual(containerNames(admitted.pod.spec.containers), ['web']);
    assert.equal(admitted.pod.spec.initContainers, undefined);
    assert.equal(admitted.pod.metadata.annotations?.[STATUS_ANNOTATION], undefined);
    assert.deepEqual(await storedPodNames(cluster, s.namespace), ['admitted']);
  });

  it('a webhook slower than timeoutSeconds: Fail refuses the pod after the timeout, Ignore admits it without the late answer', async () => {
    const s = await scope('slow');
    let delayMs = 0;
    const hook = await startTestWebhook(cluster, {
      service: 'slow',
      handler: (review) => ({ ...patched(review, [{ op: 'add', path: '/metadata/labels', value: { late: 'answer' } }]), delayMs }),
    });
    cleanups.push(() => hook.close());
    const name = 'slow.test.io';
    await register(mutatingConfiguration(s.configuration, s.selector, [webhookEntry(name, hook.clientConfig(), { failurePolicy: 'Fail', timeoutSeconds: 1 })]));
    await untilEffective('the slow webhook', async () => (await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).pod?.metadata.labels?.late === 'answer');

    delayMs = 5000;
    const started = Date.now();
    const refused = await createPod(cluster, s.namespace, podManifest('refused'));
    const seconds = (Date.now() - started) / 1000;
    assert.equal(refused.code, 1);
    const url = `https://${hook.service}.${hook.namespace}.svc:${hook.port}/mutate?timeout=1s`;
    assert.equal(
      refused.stderr.trim(),
      `Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "${name}": failed to call webhook: Post "${url}": context deadline exceeded`,
    );
    // kubectl's own start-up is in the figure, hence the margin; the webhook would answer after 5 s.
    assert.ok(seconds >= 1 && seconds < 4, `refused after the 1 s timeout, not the webhook's 5 s (took ${seconds} s)`);

    await setFailurePolicy(s.configuration, 'Ignore');
    await untilEffective('failurePolicy Ignore', async () => (await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).code === 0);
    const admitted = await createPod(cluster, s.namespace, podManifest('admitted'));
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.deepEqual(admitted.warnings, []);
    assert.equal(admitted.pod.metadata.labels, undefined, 'the answer that came too late is not applied');
    assert.deepEqual(await storedPodNames(cluster, s.namespace), ['admitted']);
  });

  describe('reinvocationPolicy IfNeeded with a later webhook that adds a container', () => {
    let adder: TestWebhook;
    before(async () => {
      adder = await startTestWebhook(cluster, {
        service: 'adder',
        handler: (review) => {
          const containers: any[] = review.request.object.spec.containers;
          return patched(review, containers.some((c) => c.name === 'added') ? [] : [{ op: 'add', path: '/spec/containers/-', value: ADDED }]);
        },
      });
      cleanups.push(() => adder.close());
    });

    it('ends with the pod our injector makes of the pod with that container: our reinvocation re-renders the sidecar for it', async () => {
      const s = await scope('reinvoke', { 'istio-injection': 'enabled' });
      // Configurations run in name order: ours (`sidecar-injector`) before `zz-...`.
      const name = `zz-${s.configuration}`;
      assert.ok(name > cluster.injector.configurationName);
      await register(mutatingConfiguration(name, s.selector, [webhookEntry('adder.test.io', adder.clientConfig(), { reinvocationPolicy: 'Never' })]));
      await untilEffective('the adder', async () => containerNames((await createPod(cluster, s.namespace, podManifest('probe', { generateName: true }), { dryRun: true })).pod?.spec.containers).includes('added'));
      const callsBefore = adder.calls.length;

      const { code, pod, stderr } = await createPod(cluster, s.namespace, podManifest('web'));
      assert.equal(code, 0, stderr);

      // The adder ran once, after us: it saw our sidecar and appended its container behind it.
      const adderCalls = adder.calls.slice(callsBefore);
      assert.equal(adderCalls.length, 1);
      assert.deepEqual(containerNames(adderCalls[0]!.review.request.object.spec.containers), ['web', 'istio-proxy']);

      // Its change made the apiserver call us once more (IfNeeded). That call saw a new
      // application container, so it re-rendered the sidecar (the proxy's list of application
      // containers, the proxy last again) instead of answering without a patch.
      const ours = cluster.reviewsIn(s.namespace).filter((r) => !r.dryRun);
      assert.deepEqual(ours.map((r) => [r.decision, r.reason, r.patchOps > 0]), [
        ['injected', 'policy-enabled', true],
        ['injected', 'policy-enabled', true],
      ]);
      assert.deepEqual(containerNames(pod.spec.initContainers), ['istio-init']);
      assert.deepEqual(containerNames(pod.spec.containers), ['web', 'added', 'istio-proxy']);
      const proxy = pod.spec.containers.find((c: any) => c.name === 'istio-proxy');
      assert.equal(proxy.env.find((e: any) => e.name === 'ISTIO_META_APP_CONTAINERS')?.value, 'web,added');

      // The result is exactly what a pod that had the container from the start gets (one
      // injection, whose reinvocation is a no-op): nothing of the first rendering is left over.
      const plain = await cluster.namespace('no-adder', { 'istio-injection': 'enabled' });
      const withContainer = podManifest('web');
      withContainer.spec.containers.push(ADDED);
      const twin = await createPod(cluster, plain, withContainer);
      assert.equal(twin.code, 0, twin.stderr);
      assert.deepEqual(comparable(pod), comparable(twin.pod));
      assert.deepEqual(cluster.reviewsIn(plain).map((r) => [r.decision, r.reason, r.patchOps > 0]), [
        ['injected', 'policy-enabled', true],
        ['injected', 'already-injected', false],
      ]);
    });
  });
});
