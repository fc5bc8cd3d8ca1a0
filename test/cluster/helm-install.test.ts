/**
 * `helm install` of the chart into the real control plane, as the README tells users to install
 * it, then upgrade and uninstall. There is no kubelet, so the chart's Deployment never runs: the
 * chart's Service is made an ExternalName Service to localhost (value service.externalName) and our
 * server runs locally with the Deployment's own arguments, the Secret's certificate and the
 * ConfigMap's files. The apiserver still calls it as `<release>.<namespace>.svc` and checks the
 * certificate against that name. Each release selects namespaces by a label of its own
 * (webhook.namespaceLabel), so nothing else in the suite reaches it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startChartServer, serviceAccountKubeconfig, type ChartServer } from './lib/chart-server.js';
import { CHART, helmClient, writeValues, type HelmClient } from './lib/helm.js';
import { freePort, waitFor } from './lib/process.js';
import { connectSuite, runCli, type Suite } from './support.js';

const names = (containers: { name: string }[] | undefined) => (containers ?? []).map((c) => c.name);
const b64 = (text: string) => Buffer.from(text).toString('base64');

interface Release {
  name: string;
  namespace: string;
  dir: string;
  certsDir: string;
  caCert: string;
  /** The namespace label its webhook selects. */
  label: { key: string; value: string };
}

/**
 * A namespace for the release (enforcing the `restricted` Pod Security Standard, which the chart's
 * pods must meet), a certificate for `<release>.<namespace>.svc` and the Secret the README has users
 * create for the mode, then `helm install` with `values`. The namespace is added to `created` at once.
 */
async function install(
  cluster: Suite,
  helm: HelmClient,
  mode: 'secret' | 'server',
  values: (release: Release, ports: { port: number; monitoringPort: number }) => Record<string, unknown>,
  created: string[],
): Promise<Release> {
  const namespace = await cluster.namespace(`helm-${mode}`, { 'pod-security.kubernetes.io/enforce': 'restricted' });
  created.push(namespace);
  const name = namespace;
  const dir = join(cluster.dir, namespace);
  const certsDir = join(dir, 'certs');
  mkdirSync(dir, { recursive: true });
  await runCli(['certs', '--out', certsDir, '--service', name, '--namespace', namespace, '--san', 'localhost', '--san', '127.0.0.1']);
  const file = (f: string) => join(certsDir, f);
  if (mode === 'secret') {
    await cluster.kubectl(['-n', namespace, 'create', 'secret', 'tls', `${name}-tls`, '--cert', file('tls.crt'), '--key', file('tls.key')]);
  } else {
    await cluster.kubectl(['-n', namespace, 'create', 'secret', 'generic', `${name}-tls`, `--from-file=tls.crt=${file('tls.crt')}`, `--from-file=tls.key=${file('tls.key')}`, `--from-file=ca.crt=${file('ca.crt')}`]);
  }
  const release: Release = { name, namespace, dir, certsDir, caCert: readFileSync(file('ca.crt'), 'utf8'), label: { key: `sidecar-injector.test/${name}`, value: 'enabled' } };
  // The server listens where the Deployment's container would (server.port) and the apiserver
  // calls the Service's port on the ExternalName host: the same port, on localhost.
  const ports = { port: await freePort(), monitoringPort: await freePort() };
  const valuesFile = writeValues(dir, 'values', values(release, ports));
  const { stdout } = await helm.run(['install', name, CHART, '--namespace', namespace, '--values', valuesFile]);
  // The chart's NOTES tell the user the label this release selects.
  assert.match(stdout, new RegExp(`kubectl label namespace <ns> ${release.label.key.replaceAll('.', '\\.')}=enabled`));
  return release;
}

function routedToLocalServer(release: Release, ports: { port: number; monitoringPort: number }): Record<string, unknown> {
  return {
    service: { externalName: 'localhost', port: ports.port },
    server: { port: ports.port, monitoringPort: ports.monitoringPort },
    webhook: { namespaceLabel: release.label },
  };
}

async function serverFor(cluster: Suite, release: Release, kubeconfig?: string): Promise<ChartServer> {
  const deployment = await cluster.kubectlJson(['get', 'deployment', release.name, '-n', release.namespace]);
  const configMap = await cluster.kubectlJson(['get', 'configmap', `${release.name}-config`, '-n', release.namespace]);
  return startChartServer({ deployment, configMap, certsDir: release.certsDir, caCert: release.caCert, dir: release.dir, ...(kubeconfig ? { kubeconfig } : {}) });
}

async function webhookConfiguration(cluster: Suite, name: string): Promise<any> {
  return cluster.kubectlJson(['get', 'mutatingwebhookconfiguration', name]);
}

/** Every object labelled with the release, cluster-scoped kinds and the namespace's own kinds. */
async function objectsOf(cluster: Suite, release: Release): Promise<{ clusterScoped: string[]; namespaced: string[] }> {
  const selector = `app.kubernetes.io/instance=${release.name}`;
  const get = async (args: string[]) => (await cluster.kubectl(['get', ...args, '-l', selector, '-o', 'name'])).stdout.split('\n').filter(Boolean);
  return {
    clusterScoped: await get(['mutatingwebhookconfigurations,validatingwebhookconfigurations,clusterroles,clusterrolebindings']),
    namespaced: await get(['deployments,replicasets,services,configmaps,serviceaccounts,poddisruptionbudgets,roles,rolebindings', '-n', release.namespace]),
  };
}

describe('helm install, upgrade and uninstall on a real control plane', () => {
  let cluster: Suite;
  let helm: HelmClient;
  const servers: ChartServer[] = [];
  const namespaces: string[] = [];

  before(async () => {
    cluster = await connectSuite();
    helm = helmClient(cluster);
  });

  after(async () => {
    for (const server of servers) await server.stop();
    // A release a failed test left installed: its cluster-scoped objects outlive the namespace.
    for (const ns of namespaces) await helm.run(['uninstall', ns, '--namespace', ns, '--ignore-not-found'], { allowFailure: true });
    for (const ns of namespaces) await cluster.kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  });

  it('mode secret: the installed configuration injects through the Service, its settings and ConfigMap apply, upgrade changes the failurePolicy, uninstall leaves nothing behind', async () => {
    const release = await install(cluster, helm, 'secret', (r, ports) => ({
      ...routedToLocalServer(r, ports),
      certificates: { caBundle: b64(r.caCert) },
      // Read by the server from the chart's ConfigMap: the proxy image says it arrived.
      config: { values: { global: { hub: 'registry.example.com/mesh', tag: '1.0.0-chart' } } },
    }), namespaces);
    const server = await serverFor(cluster, release);
    servers.push(server);

    const stored = await webhookConfiguration(cluster, release.name);
    assert.deepEqual(stored.webhooks[0].clientConfig.service, { name: release.name, namespace: release.namespace, path: '/inject', port: Number(server.args[server.args.indexOf('--port') + 1]) });
    assert.equal(stored.webhooks[0].failurePolicy, 'Fail');

    const app = await cluster.namespace('helm-app', { [release.label.key]: release.label.value });
    namespaces.push(app);
    await cluster.kubectl(['run', 'web', '--image=nginx:1.27', '-n', app]);
    const pod = await cluster.kubectlJson(['get', 'pod', 'web', '-n', app]);
    assert.deepEqual(names(pod.spec.initContainers), ['istio-init']);
    assert.deepEqual(names(pod.spec.containers), ['web', 'istio-proxy']);
    assert.equal(pod.spec.containers[1].image, 'registry.example.com/mesh/proxyv2:1.0.0-chart', "the chart's ConfigMap reached the server");
    assert.deepEqual(server.reviewsIn(app)[0]?.decision, 'injected', 'reviewed by the server the chart routes to');
    assert.deepEqual(cluster.reviewsIn(app), [], "the suite's own webhook selects another label");

    // The ReplicaSet controller creates the chart's pods (never run: no node) in a namespace that
    // enforces the restricted Pod Security Standard; the release namespace is never injected.
    const chartPods = await cluster.podsOf(release.namespace, `app.kubernetes.io/instance=${release.name}`, 2);
    for (const chartPod of chartPods) assert.deepEqual(names(chartPod.spec.containers), ['sidecar-injector']);

    // failurePolicy Fail: with the server gone, pods in the labelled namespace are refused...
    await server.stop();
    const refused = await cluster.kubectl(['run', 'refused', '--image=nginx:1.27', '-n', app], { allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /failed calling webhook "namespace\.sidecar-injector\.istio\.io"/);

    // ...until an upgrade to Ignore, which lets them in without a sidecar.
    await helm.run(['upgrade', release.name, CHART, '--namespace', release.namespace, '--reuse-values', '--set', 'webhook.failurePolicy=Ignore']);
    assert.equal((await webhookConfiguration(cluster, release.name)).webhooks[0].failurePolicy, 'Ignore');
    const history = JSON.parse((await helm.run(['history', release.name, '--namespace', release.namespace, '--output', 'json'])).stdout);
    assert.deepEqual(history.map((h: any) => [h.revision, h.status]), [[1, 'superseded'], [2, 'deployed']]);
    await cluster.kubectl(['run', 'admitted', '--image=nginx:1.27', '-n', app]);
    assert.deepEqual(names((await cluster.kubectlJson(['get', 'pod', 'admitted', '-n', app])).spec.containers), ['admitted']);

    assert.notDeepEqual(await objectsOf(cluster, release), { clusterScoped: [], namespaced: [] });
    await helm.run(['uninstall', release.name, '--namespace', release.namespace, '--wait']);
    assert.deepEqual(await objectsOf(cluster, release), { clusterScoped: [], namespaced: [] });
    const gone = await cluster.kubectl(['get', 'mutatingwebhookconfiguration', release.name], { allowFailure: true });
    assert.match(gone.stderr, /NotFound/);
  });

  it("mode server: the server, as the chart's ServiceAccount, writes and repairs the caBundle; upgrade keeps it; uninstall removes the cluster-wide RBAC", async () => {
    const release = await install(cluster, helm, 'server', (r, ports) => ({ ...routedToLocalServer(r, ports), certificates: { mode: 'server' } }), namespaces);
    assert.equal((await webhookConfiguration(cluster, release.name)).webhooks[0].clientConfig.caBundle, undefined, 'not rendered in mode server');

    // The token the kubelet would mount: the server gets exactly the chart's RBAC.
    const kubeconfig = await serviceAccountKubeconfig(cluster, release.namespace, release.name, join(release.dir, 'service-account.kubeconfig'));
    const server = await serverFor(cluster, release, kubeconfig);
    servers.push(server);
    const published = b64(`${release.caCert.trim()}\n`);
    const caBundle = async () => (await webhookConfiguration(cluster, release.name)).webhooks[0].clientConfig.caBundle;
    await waitFor('the caBundle written by the server', 30_000, async () => ((await caBundle()) === published ? true : undefined));
    const lease = await cluster.kubectlJson(['get', 'lease', `${release.name}-ca-bundle`, '-n', release.namespace]);
    assert.ok(lease.spec.holderIdentity, 'the server holds the Lease the chart lets it take');

    const app = await cluster.namespace('helm-app', { [release.label.key]: release.label.value });
    namespaces.push(app);
    await cluster.kubectl(['run', 'web', '--image=nginx:1.27', '-n', app]);
    assert.deepEqual(names((await cluster.kubectlJson(['get', 'pod', 'web', '-n', app])).spec.containers), ['web', 'istio-proxy']);

    const log = () => readFileSync(server.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const writes = () => log().filter((e) => e.msg === 'caBundle written').length;
    // Helm's upgrade neither renders nor removes the field the server owns.
    await helm.run(['upgrade', release.name, CHART, '--namespace', release.namespace, '--reuse-values', '--set', 'webhook.timeoutSeconds=5']);
    const upgraded = await webhookConfiguration(cluster, release.name);
    assert.equal(upgraded.webhooks[0].timeoutSeconds, 5);
    assert.equal(upgraded.webhooks[0].clientConfig.caBundle, published);
    assert.equal(writes(), 1, 'the server had nothing to repair after the upgrade');

    // Drift (a manual edit): repaired through the watch the chart's RBAC allows.
    await cluster.kubectl(['patch', 'mutatingwebhookconfiguration', release.name, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: b64(cluster.caCert) }])]);
    await waitFor('the caBundle repaired', 30_000, async () => ((await caBundle()) === published ? true : undefined));
    assert.equal(writes(), 2);
    assert.deepEqual(log().filter((e) => e.level >= 40).map((e) => e.msg), [], 'no permission problem, no failed round');

    await helm.run(['uninstall', release.name, '--namespace', release.namespace, '--wait']);
    assert.deepEqual(await objectsOf(cluster, release), { clusterScoped: [], namespaced: [] });
    await server.stop();
  });
});
