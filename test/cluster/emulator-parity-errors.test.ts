/**
 * What the client gets when a webhook misbehaves, from the real apiserver and from the emulator:
 * the same status code, reason, message and warnings, for every kind of answer a webhook can give
 * (denials, HTTP errors, malformed reviews, bad patches, invalid results) and every way a call can
 * fail (connection refused, an unknown CA, a certificate for another name, a missing Service, a
 * timeout), under failurePolicy Fail and, where the call failed, Ignore.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCa } from '../../src/certs/generate.js';
import { ApiError, FakeApiServer } from '../e2e/emulator/apiserver.js';
import { startTwinWebhook, type TwinWebhook } from './lib/emulator-twin.js';
import { createPod, untilEffective } from './lib/pods.js';
import { freePort } from './lib/process.js';
import { allowed, applyConfiguration, applyLocalhostServices, deleteConfiguration, patched, startTestWebhook, uniqueSuffix, webhookEntry, type Answer, type TestWebhook } from './lib/test-webhook.js';
import { connectSuite, type Suite } from './support.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const review = (r: any, response: Record<string, unknown>, envelope: Record<string, unknown> = {}): Answer => ({ body: { apiVersion: r.apiVersion, kind: 'AdmissionReview', ...envelope, response: { uid: r.request.uid, ...response } } });

/** Ways a webhook answers, chosen by the pod's `mode` label. */
const MODES: Record<string, (r: any) => Answer> = {
  'deny-403-with-warning': (r) => review(r, { allowed: false, status: { code: 403, message: 'not this pod' }, warnings: ['on the way out'] }),
  'deny-without-message': (r) => review(r, { allowed: false }),
  'deny-with-reason-only': (r) => review(r, { allowed: false, status: { code: 200, reason: 'Forbidden' } }),
  'deny-code-600': (r) => review(r, { allowed: false, status: { code: 600, message: 'big' } }),
  'allowed-missing': (r) => review(r, {}),
  warnings: (r) => allowed(r, { warnings: ['first', 'second "quoted"', 'first', ''] }),
  'status-500-with-status': () => ({ status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'boom inside', code: 500 } }),
  'status-503-status-without-failure': () => ({ status: 503, body: { kind: 'Status', message: 'busy' } }),
  'status-404': () => ({ status: 404, body: 'page not found' }),
  'status-302': () => ({ status: 302, body: 'moved' }),
  'status-201': (r) => ({ ...allowed(r), status: 201 }),
  'status-204': () => ({ status: 204 }),
  'empty-body': () => ({ body: '' }),
  'body-not-json': () => ({ body: 'not json at all' }),
  'wrong-uid': (r) => review(r, { allowed: true, uid: 'other' }),
  'no-response': (r) => ({ body: { apiVersion: r.apiVersion, kind: 'AdmissionReview' } }),
  'v1beta1-answer': (r) => review(r, { allowed: true }, { apiVersion: 'admission.k8s.io/v1beta1' }),
  'unknown-kind': (r) => review(r, { allowed: true }, { kind: 'Nope' }),
  'no-kind': (r) => ({ body: { apiVersion: r.apiVersion, response: { uid: r.request.uid, allowed: true } } }),
  'no-api-version': (r) => ({ body: { kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: true } } }),
  'patch-without-type': (r) => allowed(r, { patch: b64([]) }),
  'type-without-patch': (r) => allowed(r, { patchType: 'JSONPatch' }),
  'unpadded-base64': (r) => allowed(r, { patchType: 'JSONPatch', patch: 'W10' }),
  'bad-base64-character': (r) => allowed(r, { patchType: 'JSONPatch', patch: 'W1*=' }),
  'base64-with-newline': (r) => allowed(r, { patchType: 'JSONPatch', patch: 'W3si\nb3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscy9ubCIsInZhbHVlIjoieSJ9XQ==' }),
  'patch-not-array': (r) => allowed(r, { patchType: 'JSONPatch', patch: b64({ op: 'add' }) }),
  'patch-not-json': (r) => allowed(r, { patchType: 'JSONPatch', patch: b64('nope') }),
  'patch-element-not-object': (r) => allowed(r, { patchType: 'JSONPatch', patch: b64([1]) }),
  'merge-patch-type': (r) => allowed(r, { patchType: 'MergePatch', patch: b64([{ op: 'add', path: '/metadata/labels/m', value: 'y' }]) }),
  'empty-patch-other-type': (r) => allowed(r, { patchType: 'Foo', patch: b64([]) }),
  'null-patch': (r) => allowed(r, { patchType: 'JSONPatch', patch: b64('null') }),
  'warning-then-bad-patch': (r) => allowed(r, { warnings: ['said first'], patchType: 'JSONPatch', patch: b64({}) }),
  'add-under-missing-parent': (r) => patched(r, [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }]),
  'remove-missing-key': (r) => patched(r, [{ op: 'remove', path: '/metadata/labels/nope' }]),
  'replace-missing-key': (r) => patched(r, [{ op: 'replace', path: '/metadata/labels/nope', value: 'x' }]),
  'replace-missing-parent': (r) => patched(r, [{ op: 'replace', path: '/metadata/annotations/x', value: 'x' }]),
  'add-index-past-end': (r) => patched(r, [{ op: 'add', path: '/spec/containers/5', value: { name: 'x', image: 'x' } }]),
  'add-negative-index': (r) => patched(r, [{ op: 'add', path: '/spec/containers/-1', value: { name: 'x', image: 'x' } }]),
  'add-bad-index': (r) => patched(r, [{ op: 'add', path: '/spec/containers/x', value: {} }]),
  'add-empty-path': (r) => patched(r, [{ op: 'add', path: '', value: {} }]),
  'add-without-value': (r) => patched(r, [{ op: 'add', path: '/metadata/labels/x' }]),
  'add-without-path': (r) => patched(r, [{ op: 'add', value: 'x' }]),
  'unknown-op': (r) => patched(r, [{ op: 'frob', path: '/metadata/labels/x', value: 'y' }]),
  'test-fails': (r) => patched(r, [{ op: 'test', path: '/metadata/labels/mode', value: 'other' }]),
  'test-move-copy': (r) => patched(r, [
    { op: 'test', path: '/metadata/labels/mode', value: 'test-move-copy' },
    { op: 'copy', from: '/metadata/labels/mode', path: '/metadata/labels/copied' },
    { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
  ]),
  'wrong-type-string-for-int': (r) => patched(r, [{ op: 'add', path: '/spec/containers/0/ports', value: [{ containerPort: '80' }] }]),
  'wrong-type-bool': (r) => patched(r, [{ op: 'add', path: '/spec/hostNetwork', value: 'yes' }]),
  'wrong-type-label': (r) => patched(r, [{ op: 'add', path: '/metadata/labels/num', value: 5 }]),
  'bad-quantity': (r) => patched(r, [{ op: 'add', path: '/spec/containers/0/resources', value: { limits: { cpu: 'lots' } } }]),
  'another-kind': (r) => patched(r, [{ op: 'replace', path: '/kind', value: 'Service' }]),
  'unknown-field': (r) => patched(r, [{ op: 'add', path: '/spec/frobnicate', value: 5 }]),
  'mount-of-missing-volume': (r) => patched(r, [{ op: 'add', path: '/spec/containers/0/volumeMounts', value: [{ name: 'nope', mountPath: '/x' }] }]),
  'two-errors': (r) => patched(r, [{ op: 'add', path: '/spec/containers/-', value: { name: 'web', image: 'x', ports: [{ containerPort: 70000 }] } }]),
  'init-container-duplicate': (r) => patched(r, [{ op: 'add', path: '/spec/initContainers', value: [{ name: 'web', image: 'x' }] }]),
  'quantities-canonical': (r) => patched(r, [{ op: 'add', path: '/spec/containers/0/resources', value: { limits: { cpu: 0.5, memory: '1024Mi' } } }]),
  slow: (r) => ({ ...allowed(r), delayMs: 2500 }),
};

/** What a client learns from a creation: the pod's gist, or the error. */
type Result = { created: { labels: unknown; containers: string[]; resources: unknown }; warnings: string[] } | { code: number; reason: string; message: string; warnings: string[] };

function warningsOf(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  return [...text.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}

/** Names and uids that differ per call, replaced. */
function normalMessage(message: string, generateName: string): string {
  return message.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>').replace(new RegExp(`${generateName}[a-z0-9]{5}`, 'g'), `${generateName}<generated>`);
}

describe('the emulator fails as the real apiserver fails', () => {
  let cluster: Suite;
  let hook: TestWebhook;
  let twin: TwinWebhook;
  let closedPort: number;
  const api = new FakeApiServer();
  const configurations: string[] = [];
  const namespaces: Record<'Fail' | 'Ignore', string> = { Fail: '', Ignore: '' };
  const handler = (r: any): Answer => MODES[r.request.object.metadata.labels.mode]!(r);

  /** Where a case's webhook is: the test webhook, or a Service that fails in its own way. */
  const TARGETS = ['modes', 'closed-port', 'unknown-ca', 'other-name', 'missing-service', 'timeout', 'no-path'] as const;
  type Target = (typeof TARGETS)[number];

  before(async () => {
    cluster = await connectSuite();
    hook = await startTestWebhook(cluster, { service: 'errors', handler });
    twin = await startTwinWebhook(api, hook.service, hook.namespace, handler);
    closedPort = await freePort();
    // Services of the hook's namespace that lead to localhost: one to a closed port, one whose
    // name is not on the certificate.
    await applyLocalhostServices(cluster, hook.namespace, ['closed', 'other']);
    api.registerService('closed', hook.namespace, closedPort);
    api.registerService('other', hook.namespace, twin.port);
    const strangerCa = Buffer.from((await generateCa()).cert).toString('base64');

    for (const policy of ['Fail', 'Ignore'] as const) {
      const suffix = uniqueSuffix();
      const scope = { [`parity-errors-${suffix}`]: policy };
      const webhooks = (caBundleOf: (target: Target) => string) =>
        TARGETS.map((target) => {
          const service = { name: hook.service, namespace: hook.namespace, path: '/mutate', port: hook.port };
          if (target === 'closed-port') Object.assign(service, { name: 'closed', port: closedPort });
          if (target === 'other-name') service.name = 'other';
          if (target === 'missing-service') service.name = 'ghost';
          if (target === 'no-path') delete (service as { path?: string }).path;
          return {
            ...webhookEntry(`${target}.errors.test.io`, { service, caBundle: caBundleOf(target) }, { failurePolicy: policy, ...(target === 'timeout' ? { timeoutSeconds: 1 } : {}) }),
            namespaceSelector: { matchLabels: scope },
            objectSelector: { matchLabels: { target } },
          };
        });
      const name = `parity-errors-${policy.toLowerCase()}-${suffix}`;
      const metadata = { name };
      await applyConfiguration(cluster, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata, webhooks: webhooks((t) => (t === 'unknown-ca' ? strangerCa : hook.caBundle)) });
      configurations.push(name);
      api.applyConfiguration({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata, webhooks: webhooks((t) => (t === 'unknown-ca' ? strangerCa : twin.caBundle)) });
      namespaces[policy] = await cluster.namespace(`parity-errors-${policy.toLowerCase()}`, scope);
      api.createNamespace(namespaces[policy], scope);
      await untilEffective(`the ${policy} configuration`, async () => (await createPod(cluster, namespaces[policy], pod('modes', 'deny-without-message'), { dryRun: true })).code !== 0);
    }
  });
  after(async () => {
    for (const name of configurations) await deleteConfiguration(cluster, name);
    await hook?.close();
    await twin?.close();
  });

  function pod(target: Target, mode: string): any {
    return { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: `${mode}-`, labels: { target, mode } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
  }

  async function real(policy: 'Fail' | 'Ignore', target: Target, mode: string): Promise<Result> {
    const manifest = pod(target, mode);
    const res = await cluster.api('POST', `/api/v1/namespaces/${namespaces[policy]}/pods?dryRun=All`, manifest);
    if (res.status === 201 || res.status === 200) {
      return { created: { labels: res.body.metadata.labels, containers: res.body.spec.containers.map((c: any) => c.name), resources: res.body.spec.containers[0].resources }, warnings: warningsOf(res.headers.warning) };
    }
    return { code: res.body.code, reason: res.body.reason ?? '', message: normalMessage(res.body.message, manifest.metadata.generateName), warnings: warningsOf(res.headers.warning) };
  }

  async function emulated(policy: 'Fail' | 'Ignore', target: Target, mode: string): Promise<Result> {
    const manifest = pod(target, mode);
    try {
      const { stored, warnings } = await api.createPod(namespaces[policy], manifest, { dryRun: true });
      return { created: { labels: stored.metadata.labels, containers: stored.spec.containers.map((c: any) => c.name), resources: stored.spec.containers[0].resources }, warnings };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { code: err.code, reason: err.reason, message: normalMessage(err.message, manifest.metadata.generateName), warnings: err.warnings };
    }
  }

  const callFailed = (r: Result) => 'message' in r && r.message.includes('failed calling webhook');

  it('gives the same answer to every kind of webhook answer (Fail; Ignore where the call failed)', async () => {
    const differences: string[] = [];
    let calls = 0;
    for (const mode of Object.keys(MODES).filter((m) => m !== 'slow')) {
      const fail = await real('Fail', 'modes', mode);
      const cases: Array<['Fail' | 'Ignore', Result]> = [['Fail', fail]];
      if (callFailed(fail)) cases.push(['Ignore', await real('Ignore', 'modes', mode)]);
      for (const [policy, expected] of cases) {
        calls++;
        const actual = await emulated(policy, 'modes', mode);
        try {
          assert.deepEqual(actual, expected);
        } catch {
          differences.push(`${mode} (${policy}):\n  real:     ${JSON.stringify(expected)}\n  emulator: ${JSON.stringify(actual)}`);
        }
      }
    }
    assert.ok(calls > Object.keys(MODES).length);
    // The table is broad: every kind of answer listed above went through both.
    assert.ok(Object.keys(MODES).length > 50);
    assert.deepEqual(differences, []);
  });

  it('calls a Service without a path at /', async () => {
    for (const policy of ['Fail', 'Ignore'] as const) {
      const expected = await real(policy, 'no-path', 'warnings');
      assert.deepEqual(await emulated(policy, 'no-path', 'warnings'), expected, policy);
      assert.match(hook.calls.at(-1)!.url, /^\/\?timeout=10s$/);
      assert.equal(twin.calls.at(-1)!.url, hook.calls.at(-1)!.url);
    }
  });

  for (const target of TARGETS.filter((t) => t !== 'modes' && t !== 'no-path')) {
    it(`gives the same answer when the call fails: ${target}`, async () => {
      const mode = target === 'timeout' ? 'slow' : 'warnings';
      for (const policy of ['Fail', 'Ignore'] as const) {
        const expected = await real(policy, target, mode);
        if (policy === 'Fail') assert.ok(callFailed(expected), JSON.stringify(expected));
        assert.deepEqual(await emulated(policy, target, mode), expected, policy);
      }
    });
  }
});
