/**
 * The commands and controllers that talk to a cluster, against a test API server serving the
 * real REST paths over HTTPS (including a watch stream).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { generateCa, generateServingCert } from '../../src/certs/generate.js';
import { CaBundleManager } from '../../src/kube/ca-bundle-manager.js';
import { connect } from '../../src/kube/client.js';
import { tryAcquireLease } from '../../src/kube/lease.js';
import { validateWebhookConfiguration } from '../e2e/emulator/webhook-configuration.js';
import { FakeKubeApi } from '../support/fake-apiserver.js';

const silent = pino({ level: 'silent' });
// Asynchronous: the test API server runs in this process and must keep answering.
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('against a Kubernetes API', () => {
  const api = new FakeKubeApi();
  before(() => api.start());
  after(() => api.stop());

  it('register creates a valid configuration, then updates it keeping the caBundle, then reports no change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'register-'));
    const ca = await generateCa();
    await writeFile(join(dir, 'ca.crt'), ca.cert);
    const created = await cli(['register', '--kubeconfig', api.kubeconfigFile, '--ca-file', join(dir, 'ca.crt')]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /mutatingwebhookconfiguration\/sidecar-injector created/);
    const stored = api.stores.mwc.get('sidecar-injector');
    assert.deepEqual(validateWebhookConfiguration(stored), []);
    assert.equal(Buffer.from(stored.webhooks[0].clientConfig.caBundle, 'base64').toString(), ca.cert);

    const updated = await cli(['register', '--kubeconfig', api.kubeconfigFile, '--failure-policy', 'Ignore', '--timeout-seconds', '5']);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /updated/);
    const after = api.stores.mwc.get('sidecar-injector');
    assert.equal(after.webhooks[0].failurePolicy, 'Ignore');
    assert.equal(after.webhooks[0].timeoutSeconds, 5);
    assert.equal(after.webhooks[0].clientConfig.caBundle, stored.webhooks[0].clientConfig.caBundle, 'the caBundle is kept');

    const again = await cli(['register', '--kubeconfig', api.kubeconfigFile, '--failure-policy', 'Ignore', '--timeout-seconds', '5']);
    assert.match(again.stdout, /unchanged/);
  });

  it('register --print shows the configuration without a cluster', async () => {
    const run = await cli(['register', '--print', '--namespace', 'mesh']);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /kind: MutatingWebhookConfiguration/);
    assert.match(run.stdout, /- mesh/);
  });

  it('label enables and disables injection for a namespace', async () => {
    api.addNamespace('shop');
    assert.equal((await cli(['label', 'shop', '--kubeconfig', api.kubeconfigFile])).status, 0);
    assert.equal(api.stores.namespaces.get('shop').metadata.labels['istio-injection'], 'enabled');
    assert.equal((await cli(['label', 'shop', '--disable', '--kubeconfig', api.kubeconfigFile])).status, 0);
    assert.equal(api.stores.namespaces.get('shop').metadata.labels['istio-injection'], undefined);
    const missing = await cli(['label', 'nowhere', '--kubeconfig', api.kubeconfigFile]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot label namespace 'nowhere': 404/);
  });

  it('check explains the namespace, the selectors and the rule that decided', async () => {
    api.addNamespace('shop', { 'istio-injection': 'enabled' });
    const dir = await mkdtemp(join(tmpdir(), 'check-'));
    const file = join(dir, 'deploy.yaml');
    await writeFile(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n      annotations: {sidecar.istio.io/inject: "false"}\n    spec:\n      containers: [{name: web, image: nginx}]\n');
    const skipped = await cli(['check', '-n', 'shop', '-f', file, '--kubeconfig', api.kubeconfigFile]);
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /matches the namespaceSelector/);
    assert.match(skipped.stdout, /injector: skip \(rule: annotation-opt-out\)/);
    assert.match(skipped.stdout, /verdict: the pod gets NO sidecar/);
    const offline = await cli(['check', '-n', 'plain', '-f', file, '--namespace-labels', 'team=a']);
    assert.match(offline.stdout, /does not match the namespaceSelector/);
  });

  it('keeps the caBundle in sync, repairs drift from a watch event, and holds old and new CA during a change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bundle-'));
    const first = await generateCa();
    await writeFile(join(dir, 'ca.crt'), first.cert);
    const manager = new CaBundleManager({ clients: connect(api.kubeconfigFile), configName: 'sidecar-injector', caFile: join(dir, 'ca.crt'), lease: { name: 'bundle', namespace: 'istio-system', identity: 'replica-a' }, logger: silent, intervalMs: 3_600_000 });
    await manager.start();
    try {
      const bundleOf = () => Buffer.from(api.stores.mwc.get('sidecar-injector').webhooks[0].clientConfig.caBundle, 'base64').toString();
      assert.equal(bundleOf().trim(), first.cert.trim());
      await eventually(() => api.watcherCount() > 0);
      api.tamper('sidecar-injector', (c) => (c.webhooks[0].clientConfig.caBundle = Buffer.from('stale').toString('base64')));
      await eventually(() => bundleOf().trim() === first.cert.trim());
      const second = await generateCa();
      await writeFile(join(dir, 'ca.crt'), second.cert);
      await manager.sync();
      assert.ok(bundleOf().includes(first.cert.trim()) && bundleOf().includes(second.cert.trim()), 'both CAs during the change');
    } finally {
      manager.stop();
    }
  });

  it('tells every replica, holder or not, whether the published caBundle trusts a certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trust-'));
    const first = await generateCa();
    const second = await generateCa();
    const leaf = await generateServingCert(second, { sans: ['injector.ns.svc'] });
    await writeFile(join(dir, 'ca.crt'), first.cert);
    const lease = { name: 'trust', namespace: 'istio-system' };
    const published: string[] = [];
    const make = (identity: string) =>
      new CaBundleManager({ clients: connect(api.kubeconfigFile), configName: 'sidecar-injector', caFile: join(dir, 'ca.crt'), lease: { ...lease, identity }, logger: silent, intervalMs: 3_600_000, onPublished: () => published.push(identity) });
    const holder = make('holder');
    const other = make('other');
    await holder.start();
    await other.start();
    try {
      assert.equal(holder.leader, true);
      assert.equal(other.leader, false);
      assert.deepEqual([holder.trusts(leaf.cert), other.trusts(leaf.cert)], [false, false], 'signed by a CA not published yet');
      // The Secret brings the new CA: the holder publishes it with the old one, the other sees it.
      await writeFile(join(dir, 'ca.crt'), second.cert);
      const count = published.length;
      await holder.sync();
      assert.equal(holder.trusts(leaf.cert), true);
      await eventually(() => other.trusts(leaf.cert));
      assert.ok(published.slice(count).includes('other'), 'the other replica was told');
    } finally {
      holder.stop();
      other.stop();
    }
  });

  it('renews the Lease every third of its duration by default', () => {
    const manager = new CaBundleManager({ clients: connect(api.kubeconfigFile), configName: 'x', caFile: 'x', lease: { name: 'x', namespace: 'x', identity: 'x', durationSeconds: 9 }, logger: silent });
    assert.equal(manager.roundMs(), 3000);
  });

  it('lets only one of two replicas hold the Lease, and hands it over when the holder stops renewing', async () => {
    const clients = connect(api.kubeconfigFile);
    const lease = { name: 'contest', namespace: 'istio-system', durationSeconds: 1 };
    const [a, b] = await Promise.all([tryAcquireLease(clients, { ...lease, identity: 'a' }), tryAcquireLease(clients, { ...lease, identity: 'b' })]);
    assert.equal(Number(a) + Number(b), 1, 'exactly one leader');
    const leader = a ? 'a' : 'b';
    const other = a ? 'b' : 'a';
    assert.equal(await tryAcquireLease(clients, { ...lease, identity: leader }), true, 'the leader renews');
    assert.equal(await tryAcquireLease(clients, { ...lease, identity: other }), false, 'the other waits');
    assert.equal(await tryAcquireLease(clients, { ...lease, identity: other }, new Date(Date.now() + 2000)), true, 'after expiry the other takes over');
    assert.equal(api.stores.leases.get('istio-system/contest').spec.holderIdentity, other);
  });
});
