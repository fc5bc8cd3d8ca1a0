/**
 * The operator's commands against the real apiserver, with the suite's kubeconfig: `register`
 * creates and updates a MutatingWebhookConfiguration the apiserver accepts (and re-running it
 * changes nothing), `label` turns injection on and off for a namespace, and `check` predicts what
 * then really happens to a pod.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './lib/injector.js';
import { connectSuite, type Suite } from './support.js';

const CONFIGURATIONS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

/** Our CLI, with its exit code and both streams. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const names = (containers: { name: string }[] | undefined) => (containers ?? []).map((c) => c.name);

describe('register against the real apiserver', () => {
  let cluster: Suite;
  let configuration: string;
  let namespace: string;
  let ca: string;
  before(async () => {
    cluster = await connectSuite();
    configuration = `ops-register-${randomBytes(3).toString('hex')}`;
    namespace = await cluster.namespace('ops-register');
    const dir = mkdtempSync(join(tmpdir(), 'ops-register-'));
    ca = join(dir, 'ca.crt');
    writeFileSync(ca, cluster.caCert);
  });
  after(async () => {
    await cluster.api('DELETE', `${CONFIGURATIONS}/${configuration}`);
  });

  it("finds the suite's own registration up to date: register is idempotent once the apiserver has defaulted it", async () => {
    const { injector } = cluster;
    const before = await cluster.api('GET', `${CONFIGURATIONS}/${injector.configurationName}`);
    const result = await cli(['register', '--kubeconfig', cluster.kubeconfig, '--name', injector.configurationName, '--namespace', injector.namespace, '--service', injector.service, '--port', String(injector.port)]);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, `mutatingwebhookconfiguration/${injector.configurationName} unchanged\n`);
    const afterwards = await cluster.api('GET', `${CONFIGURATIONS}/${injector.configurationName}`);
    assert.equal(afterwards.body.metadata.resourceVersion, before.body.metadata.resourceVersion);
  });

  // While it exists, this configuration matches every namespace labelled istio-injection=enabled,
  // other test files' too. Its Service does not exist and its failurePolicy is Ignore: each call
  // fails at once and is skipped (the apiserver only logs it), so nobody else sees a difference.
  const args = () => ['register', '--kubeconfig', cluster.kubeconfig, '--name', configuration, '--namespace', namespace, '--service', 'no-such-service', '--failure-policy', 'Ignore'];

  it('creates a configuration the apiserver accepts, leaves it alone when nothing changed, updates it in place', async () => {
    const created = await cli([...args(), '--timeout-seconds', '1', '--ca-file', ca]);
    assert.equal(created.stdout, `mutatingwebhookconfiguration/${configuration} created\n`);
    const stored = (await cluster.api('GET', `${CONFIGURATIONS}/${configuration}`)).body;
    assert.equal(stored.webhooks.length, 1);
    const [webhook] = stored.webhooks;
    assert.equal(webhook.name, 'namespace.sidecar-injector.istio.io');
    assert.deepEqual(webhook.clientConfig.service, { namespace, name: 'no-such-service', path: '/inject', port: 443 });
    assert.equal(Buffer.from(webhook.clientConfig.caBundle, 'base64').toString(), cluster.caCert);
    assert.deepEqual(webhook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    assert.deepEqual(webhook.namespaceSelector, { matchLabels: { 'istio-injection': 'enabled' }, matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', namespace] }] });
    assert.deepEqual(webhook.objectSelector, { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] });
    assert.deepEqual(
      [webhook.failurePolicy, webhook.timeoutSeconds, webhook.reinvocationPolicy, webhook.sideEffects, webhook.matchPolicy, webhook.admissionReviewVersions],
      ['Ignore', 1, 'IfNeeded', 'None', 'Equivalent', ['v1', 'v1beta1']],
    );

    const again = await cli([...args(), '--timeout-seconds', '1', '--ca-file', ca]);
    assert.equal(again.stdout, `mutatingwebhookconfiguration/${configuration} unchanged\n`);
    assert.equal((await cluster.api('GET', `${CONFIGURATIONS}/${configuration}`)).body.metadata.resourceVersion, stored.metadata.resourceVersion);

    // Without --ca-file the caBundle already there is kept (serve --manage-ca-bundle owns it).
    const updated = await cli([...args(), '--timeout-seconds', '2']);
    assert.equal(updated.stdout, `mutatingwebhookconfiguration/${configuration} updated\n`);
    const after = (await cluster.api('GET', `${CONFIGURATIONS}/${configuration}`)).body;
    assert.equal(after.webhooks[0].timeoutSeconds, 2);
    assert.equal(after.webhooks[0].clientConfig.caBundle, webhook.clientConfig.caBundle);
    assert.equal(after.metadata.uid, stored.metadata.uid, 'updated in place, not recreated');
  });

  it("passes the apiserver's refusal on, with its reason, and exits 1", async () => {
    const refused = await cli(['register', '--kubeconfig', cluster.kubeconfig, '--name', `${configuration}-bad`, '--namespace', namespace, '--service', 'no-such-service', '--failure-policy', 'Ignore', '--path', '/Not_A_Segment']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: cannot register the webhook: 422: MutatingWebhookConfiguration\.admissionregistration\.k8s\.io "ops-register-[0-9a-f]+-bad" is invalid: webhooks\[0\]\.clientConfig\.service\.path: Invalid value: "\/Not_A_Segment": segment\[0\]: a lowercase RFC 1123 subdomain/);
    assert.equal((await cluster.api('GET', `${CONFIGURATIONS}/${configuration}-bad`)).status, 404);
  });
});

describe('label and check against the real apiserver, with the suite’s injector', () => {
  let cluster: Suite;
  let dir: string;
  before(async () => {
    cluster = await connectSuite();
    dir = mkdtempSync(join(tmpdir(), 'ops-check-'));
  });

  const manifest = (name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(pod));
    return { pod, file };
  };
  const check = async (namespace: string, target: string[]) => {
    const result = await cli(['check', '--kubeconfig', cluster.kubeconfig, '-n', namespace, ...target]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const create = async (namespace: string, pod: object) => {
    const res = await cluster.api('POST', `/api/v1/namespaces/${namespace}/pods`, pod);
    assert.equal(res.status, 201, res.body?.message);
    const warning = res.headers.warning;
    return { pod: res.body, warnings: (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) => w.replace(/^299 - "(.*)"$/, '$1')) };
  };

  it('label turns injection on: check predicts the sidecar, and the pod created gets it', async () => {
    const ns = await cluster.namespace('ops-label');
    const labelled = await cli(['label', ns, '--kubeconfig', cluster.kubeconfig]);
    assert.equal(labelled.stdout, `namespace/${ns}: istio-injection=enabled\n`);
    assert.equal((await cluster.api('GET', `/api/v1/namespaces/${ns}`)).body.metadata.labels['istio-injection'], 'enabled');

    const { pod, file } = manifest('web', { labels: { app: 'web' } });
    assert.equal(
      await check(ns, ['-f', file]),
      [
        `namespace '${ns}' labels: kubernetes.io/metadata.name=${ns}, istio-injection=enabled`,
        '  -> matches the namespaceSelector (istio-injection=enabled): the apiserver calls the webhook',
        'pod labels: app=web',
        '  -> matches the objectSelector',
        'injector: inject (rule: policy-enabled)',
        'verdict: the pod gets a sidecar',
        '',
      ].join('\n'),
    );
    const created = await create(ns, pod);
    assert.deepEqual(names(created.pod.spec.initContainers), ['istio-init']);
    assert.deepEqual(names(created.pod.spec.containers), ['web', 'istio-proxy']);
    // The warning the README documents reaches the client.
    assert.deepEqual(created.warnings, ["sidecar-injector: istio-init needs NET_ADMIN and NET_RAW; Pod Security Admission levels 'baseline' and 'restricted' refuse it (CNI mode avoids it)"]);
    // check also reads a stored pod.
    assert.match(await check(ns, ['--pod', 'web']), /injector: inject \(rule: policy-enabled\)\nverdict: the pod gets a sidecar\n$/);
  });

  it("check names the rule that keeps a pod without sidecar, as the webhook's warning does", async () => {
    const ns = await cluster.namespace('ops-check', { 'istio-injection': 'enabled' });
    const annotated = manifest('annotated', { annotations: { 'sidecar.istio.io/inject': 'false' } });
    assert.match(await check(ns, ['-f', annotated.file]), /\ninjector: skip \(rule: annotation-opt-out\): the pod's annotation sidecar\.istio\.io\/inject is 'false'\nverdict: the pod gets NO sidecar\n$/);
    const first = await create(ns, annotated.pod);
    assert.deepEqual(names(first.pod.spec.containers), ['web']);
    assert.deepEqual(first.warnings, ["sidecar-injector: no sidecar injected: the pod's annotation sidecar.istio.io/inject is 'false'"]);

    const optedOut = manifest('opted-out', { labels: { 'sidecar.istio.io/inject': 'false' } });
    assert.match(await check(ns, ['-f', optedOut.file]), /\n {2}-> the label sidecar\.istio\.io\/inject=false excludes it: the webhook is never called\nverdict: the pod gets NO sidecar\n$/);
    const second = await create(ns, optedOut.pod);
    assert.deepEqual(names(second.pod.spec.containers), ['web']);
    assert.deepEqual(second.warnings, []);
    assert.deepEqual(cluster.reviewsIn(ns).map((r) => [r.pod, r.decision, r.reason]), [['annotated', 'skipped', 'annotation-opt-out']]);
  });

  it('label --disable turns it off again: check says the webhook is not called, and it is not', async () => {
    const ns = await cluster.namespace('ops-disable', { 'istio-injection': 'enabled' });
    const disabled = await cli(['label', ns, '--disable', '--kubeconfig', cluster.kubeconfig]);
    assert.equal(disabled.stdout, `namespace/${ns}: istio-injection removed\n`);
    assert.equal((await cluster.api('GET', `/api/v1/namespaces/${ns}`)).body.metadata.labels['istio-injection'], undefined);

    const { pod, file } = manifest('web');
    assert.match(await check(ns, ['-f', file]), new RegExp(`^namespace '${ns}' labels: kubernetes\\.io/metadata\\.name=${ns}\\n {2}-> does not match the namespaceSelector .*\\nverdict: the pod gets NO sidecar\\n$`));
    const created = await create(ns, pod);
    assert.deepEqual(names(created.pod.spec.containers), ['web']);
    assert.deepEqual(cluster.reviewsIn(ns), []);
  });

  it('label and check name what is missing when the namespace or the pod does not exist', async () => {
    const missing = `ops-missing-${randomBytes(3).toString('hex')}`;
    const label = await cli(['label', missing, '--kubeconfig', cluster.kubeconfig]);
    assert.equal(label.code, 1);
    assert.equal(label.stderr, `error: cannot label namespace '${missing}': 404: namespaces "${missing}" not found\n`);
    const ns = await cluster.namespace('ops-nopod');
    const pod = await cli(['check', '--kubeconfig', cluster.kubeconfig, '-n', ns, '--pod', 'absent']);
    assert.equal(pod.code, 1);
    assert.equal(pod.stderr, 'error: 404: pods "absent" not found\n');
  });
});
