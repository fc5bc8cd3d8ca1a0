/**
 * The emulator (test/e2e/emulator, Go-free, run by `npm test`) against the real kube-apiserver:
 * the same pods, configurations and webhook answers go to both, and what each does must be the
 * same, down to the bytes of the request a webhook receives, the pod that is stored and the error
 * the client reads. Only what differs per object is set aside (uids, the token volume's random suffix,
 * generated names, times, resource versions).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError, FakeApiServer, type CreateResult } from '../e2e/emulator/apiserver.js';
import type { UserInfo } from '../e2e/emulator/users.js';
import { adminUser, KUBECTL_CREATE, startTwinWebhook, twinConfiguration, type TwinWebhook } from './lib/emulator-twin.js';
import { createPod, untilEffective } from './lib/pods.js';
import { applyConfiguration, deleteConfiguration, mutatingConfiguration, patched, startTestWebhook, uniqueSuffix, webhookEntry, type Answer, type RecordedCall, type TestWebhook } from './lib/test-webhook.js';
import { connectSuite, type Suite } from './support.js';

const FIXTURES = join('test', 'fixtures', 'e2e', 'pods');

/** Everything that differs from object to object in JSON text, replaced by placeholders. */
function normalText(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<random>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>')
    .replace(/"resourceVersion":"\d+"/g, '"resourceVersion":"<rv>"');
}

function normal(value: unknown): any {
  return JSON.parse(normalText(JSON.stringify(value)));
}

/** A pod's generated name replaced by its generateName and a placeholder. */
function withoutGeneratedName(pod: any): any {
  if (!pod?.metadata?.generateName || !pod.metadata.name) return pod;
  return { ...pod, metadata: { ...pod.metadata, name: `${pod.metadata.generateName}<generated>` } };
}

function assertSameCall(real: RecordedCall, emulated: RecordedCall, what: string): void {
  assert.equal(emulated.method, real.method, `${what}: method`);
  assert.equal(emulated.url, real.url, `${what}: path and query`);
  // The same headers, in the same order, Content-Length included: the bodies have the same size.
  assert.deepEqual(emulated.rawHeaders, real.rawHeaders, `${what}: headers`);
  assert.equal(emulated.alpn, real.alpn, `${what}: ALPN`);
  assert.deepEqual(normal(emulated.review), normal(real.review), `${what}: the AdmissionReview`);
  // Byte for byte, once uids, times and the token volume's suffix are set aside: key order too.
  assert.equal(normalText(emulated.body), normalText(real.body), `${what}: the body, byte for byte`);
}

/** A pod that exercises decoding and defaulting: aliases, quantities, probes, volumes, status. */
const DEFAULTING_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'defaults-',
    labels: { app: 'defaults' },
    annotations: { note: 'x' },
    finalizers: ['example.com/keep'],
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '1c1f5a7e-0000-4000-8000-000000000001' }],
  },
  spec: {
    serviceAccount: 'default',
    terminationGracePeriodSeconds: 5,
    imagePullSecrets: [{ name: 'regcred' }],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.example.com'] }],
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'defaults' } } }],
    initContainers: [{ name: 'init', image: 'busybox', command: ['true'], resources: { limits: { cpu: 0.5, memory: '64Mi' } } }],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        args: ['--x'],
        ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 53, protocol: 'UDP' }],
        env: [{ name: 'A', value: '1' }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } }],
        resources: { limits: { cpu: '1000m', memory: '0.5Gi', 'ephemeral-storage': '1G' }, requests: { cpu: '0.1' } },
        livenessProbe: { httpGet: { port: 8080 } },
        readinessProbe: { grpc: { port: 9000 } },
        startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
        lifecycle: { preStop: { httpGet: { port: 8080, path: '/stop' } } },
        securityContext: { capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'cfg', mountPath: '/cfg' }, { name: 'info', mountPath: '/info' }],
      },
    ],
    volumes: [
      { name: 'cache', emptyDir: { sizeLimit: '1.5Gi' } },
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '0.001' } }] } },
      { name: 'host', hostPath: { path: '/tmp' } },
      { name: 'secret', secret: { secretName: 's' } },
      { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'tok', audience: 'vault' } }] } },
      { name: 'blank' },
    ],
  },
  status: { phase: 'Running' },
};

function fixtures(): Array<[string, any]> {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, { apiVersion: 'v1', kind: 'Pod', ...JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) }]);
}

const simplePod = (metadata: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

describe('the emulator sends the requests the real apiserver sends', () => {
  let cluster: Suite;
  let user: UserInfo;
  let hook: TestWebhook;
  let twin: TwinWebhook;
  const api = new FakeApiServer();
  const configurations: string[] = [];
  /** Namespaces by review version, each selected by its own configuration. */
  const namespaces: Record<'v1' | 'v1beta1', string> = { v1: '', v1beta1: '' };

  // The webhook appends a container once to pods labelled add-container, so that the apiserver
  // reinvokes it (IfNeeded); it allows everything else unchanged.
  const handler = (review: any): Answer => {
    const pod = review.request.object;
    if (pod.metadata.labels?.['add-container'] === 'yes' && !pod.spec.containers.some((c: any) => c.name === 'added')) {
      return patched(review, [{ op: 'add', path: '/spec/containers/-', value: { name: 'added', image: 'busybox:1.37' } }]);
    }
    return patched(review, []);
  };

  before(async () => {
    cluster = await connectSuite();
    user = adminUser(cluster.dir);
    hook = await startTestWebhook(cluster, { service: 'capture', handler });
    twin = await startTwinWebhook(api, hook.service, hook.namespace, handler);
    for (const version of ['v1', 'v1beta1'] as const) {
      const suffix = uniqueSuffix();
      const scope = { [`parity-${suffix}`]: version };
      const configuration = mutatingConfiguration(`parity-${version}-${suffix}`, scope, [
        webhookEntry(`capture-${version}.parity.test.io`, hook.clientConfig(), { admissionReviewVersions: [version], reinvocationPolicy: 'IfNeeded' }),
      ]);
      await applyConfiguration(cluster, configuration);
      configurations.push((configuration.metadata as { name: string }).name);
      api.applyConfiguration(twinConfiguration(configuration, twin.caBundle));
      namespaces[version] = await cluster.namespace(`parity-${version}`, scope);
      api.createNamespace(namespaces[version], scope);
      await untilEffective(`the ${version} capture webhook`, async () => {
        const before = hook.calls.length;
        await createPod(cluster, namespaces[version], simplePod({ generateName: 'probe-' }), { dryRun: true });
        return hook.calls.length > before;
      });
    }
  });
  after(async () => {
    for (const name of configurations) await deleteConfiguration(cluster, name);
    await hook?.close();
    await twin?.close();
  });

  /** Creates `pod` on both, compares every request and the resulting pod; returns both results. */
  async function both(pod: any, options: { dryRun?: boolean; version?: 'v1' | 'v1beta1' } = {}): Promise<{ real: any; emulated: CreateResult; calls: number }> {
    const namespace = namespaces[options.version ?? 'v1'];
    const realBefore = hook.calls.length;
    const twinBefore = twin.calls.length;
    const real = await createPod(cluster, namespace, pod, { dryRun: options.dryRun === true });
    assert.equal(real.code, 0, real.stderr);
    const emulated = await api.createPod(namespace, pod, { ...KUBECTL_CREATE, userInfo: user, dryRun: options.dryRun === true });
    const realCalls = hook.calls.slice(realBefore);
    const emulatedCalls = twin.calls.slice(twinBefore);
    assert.equal(emulatedCalls.length, realCalls.length, 'as many webhook calls');
    realCalls.forEach((call, i) => assertSameCall(call, emulatedCalls[i]!, `call ${i + 1}`));
    // The pod the apiserver answered with (what it stored; kubectl leaves managedFields out, and
    // they were compared in the reviews). Read at once: the garbage collector soon deletes pods
    // whose owner does not exist.
    const { managedFields, ...emulatedMetadata } = emulated.stored.metadata;
    assert.ok(managedFields);
    assert.deepEqual(normal(withoutGeneratedName({ ...emulated.stored, metadata: emulatedMetadata })), normal(withoutGeneratedName(real.pod)), 'the stored pod');
    return { real: real.pod, emulated, calls: realCalls.length };
  }

  it('a named pod, as kubectl create sends it', async () => {
    await both(simplePod({ name: `web-${uniqueSuffix()}`, labels: { app: 'web' } }));
  });

  it('a generateName pod in a server-side dry run (no name in the review, dryRun everywhere)', async () => {
    const { real } = await both(simplePod({ generateName: 'web-', labels: { app: 'web' } }), { dryRun: true });
    assert.match(real.metadata.name, /^web-[a-z0-9]{5}$/, 'a dry run generates the name too');
  });

  it('a pod that exercises decoding and defaulting (quantities, aliases, probes, volumes, a status)', async () => {
    await both(DEFAULTING_POD);
  });

  for (const [file, pod] of fixtures()) {
    it(`our fixture ${file}`, async () => {
      const named = pod.metadata.name ? { ...pod, metadata: { ...pod.metadata, name: `${pod.metadata.name}-${uniqueSuffix()}` } } : pod;
      const account = pod.spec.serviceAccountName;
      if (account) {
        await cluster.kubectl(['create', 'serviceaccount', account, '-n', namespaces.v1]);
        api.createServiceAccount(namespaces.v1, account);
      }
      await both(named);
    });
  }

  it('a pod naming a service account that does not exist: the ServiceAccount plugin refuses it', async () => {
    const pod = { ...simplePod({ generateName: 'web-' }), spec: { ...simplePod({}).spec, serviceAccountName: 'ghost' } };
    const real = await createPod(cluster, namespaces.v1, pod);
    assert.equal(real.code, 1);
    const emulated = await api.createPod(namespaces.v1, pod, { ...KUBECTL_CREATE, userInfo: user }).then(() => undefined, (err: unknown) => err);
    assert.ok(emulated instanceof ApiError);
    assert.equal(real.stderr.trim(), `Error from server (${emulated.reason}): error when creating "STDIN": ${emulated.message}`);
    assert.equal(emulated.code, 403);
  });

  it('a v1beta1-only configuration', async () => {
    await both(simplePod({ generateName: 'web-' }), { version: 'v1beta1' });
  });

  it("the reinvocation after the webhook's own change (and the token mount the plugins add to it)", async () => {
    const { calls } = await both(simplePod({ generateName: 'web-', labels: { 'add-container': 'yes' } }));
    assert.equal(calls, 2, 'called again (IfNeeded)');
  });
});
