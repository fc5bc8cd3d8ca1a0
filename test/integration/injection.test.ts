/**
 * The webhook with the real injection engine and built-in defaults: what a user gets from the
 * README's dry run. Expected values are Istio's documented defaults, written out by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import { applyPatch } from '../../src/patch/index.js';
import { buildApp } from '../../src/server/app.js';
import { reviewFixture } from '../support/fixtures.js';

const app = buildApp({ getConfig: defaultConfig, logger: pino({ level: 'silent' }), onInternalError: 'deny' });

async function review(body: any): Promise<any> {
  const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal(res.statusCode, 200);
  return res.json().response;
}

async function injected(fixture: string): Promise<{ before: any; after: any; response: any }> {
  const body = reviewFixture(fixture);
  const response = await review(body);
  assert.equal(response.allowed, true, JSON.stringify(response.status ?? response.warnings));
  assert.equal(response.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  return { before: body.request.object, after: applyPatch(body.request.object, ops), response };
}

function proxyOf(pod: any): any {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const proxy = all.find((c: any) => c.name === 'istio-proxy');
  assert.ok(proxy, 'istio-proxy is injected');
  return proxy;
}

describe('injection through the webhook with built-in defaults', () => {
  it('adds istio-init running the redirection command, with NET_ADMIN/NET_RAW as root', async () => {
    const { after } = await injected('pod-plain');
    const init = after.spec.initContainers.find((c: any) => c.name === 'istio-init');
    assert.ok(init);
    assert.deepEqual(init.args.slice(0, 17), ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020']);
    assert.match(init.args[17], /^--log_output_level=/);
    assert.deepEqual(init.securityContext.capabilities.add, ['NET_ADMIN', 'NET_RAW']);
    assert.equal(init.securityContext.runAsUser, 0);
  });

  it('adds istio-proxy: proxyv2 image, proxy sidecar args, prometheus port, probes on 15021, UID/GID 1337', async () => {
    const { after } = await injected('pod-plain');
    const proxy = proxyOf(after);
    assert.match(proxy.image, /\/proxyv2:/);
    assert.deepEqual(proxy.args.slice(0, 2), ['proxy', 'sidecar']);
    assert.deepEqual(proxy.ports.find((p: any) => p.name === 'http-envoy-prom'), { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' });
    for (const probe of [proxy.readinessProbe, proxy.startupProbe]) {
      assert.deepEqual(probe.httpGet, { path: '/healthz/ready', port: 15021 });
    }
    const sc = proxy.securityContext;
    assert.deepEqual([sc.runAsUser, sc.runAsGroup, sc.runAsNonRoot, sc.readOnlyRootFilesystem], [1337, 1337, true, true]);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    const env = new Map(proxy.env.map((e: any) => [e.name, e]));
    assert.deepEqual((env.get('POD_NAME') as any).valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.deepEqual((env.get('POD_NAMESPACE') as any).valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  });

  it('mounts only volumes it adds, and adds the labels and annotations', async () => {
    const { after } = await injected('pod-plain');
    const volumes = new Set(after.spec.volumes.map((v: any) => v.name));
    for (const mount of proxyOf(after).volumeMounts) assert.ok(volumes.has(mount.name), `volume ${mount.name} exists`);
    for (const name of ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert']) assert.ok(volumes.has(name), name);
    assert.equal(after.metadata.labels['security.istio.io/tlsMode'], 'istio');
    assert.equal(after.metadata.labels['service.istio.io/canonical-name'], 'web');
    assert.equal(after.metadata.labels['service.istio.io/canonical-revision'], 'latest');
    const annotations = after.metadata.annotations;
    assert.equal(annotations['kubectl.kubernetes.io/default-container'], 'web');
    assert.equal(annotations['prometheus.io/port'], '15020');
    assert.equal(annotations['prometheus.io/path'], '/stats/prometheus');
    const status = JSON.parse(annotations['sidecar.istio.io/status']);
    assert.ok(status.initContainers.includes('istio-init'));
  });

  it('keeps the user container first and unchanged', async () => {
    const { before, after } = await injected('pod-plain');
    assert.deepEqual(after.spec.containers[0], before.spec.containers[0]);
  });

  it('patches a bare pod (no labels, annotations, volumes or init containers) with whole maps and lists', async () => {
    const { after, response } = await injected('pod-bare');
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    const paths = ops.map((op: any) => op.path);
    assert.ok(paths.includes('/metadata/annotations'));
    assert.ok(paths.includes('/metadata/labels'));
    assert.ok(paths.includes('/spec/volumes'));
    assert.ok(paths.includes('/spec/initContainers'));
    assert.ok(after.spec.initContainers.some((c: any) => c.name === 'istio-init'));
  });

  it('names the workload after the owning Deployment for a generateName pod', async () => {
    const { after } = await injected('pod-generatename-replicaset');
    const env = proxyOf(after).env;
    assert.equal(env.find((e: any) => e.name === 'ISTIO_META_WORKLOAD_NAME').value, 'web');
    assert.equal(after.metadata.labels['service.istio.io/canonical-name'], 'web');
  });

  it('rewrites HTTP probes to the status port and keeps the originals in ISTIO_KUBE_APP_PROBERS', async () => {
    const { after } = await injected('pod-http-probes');
    const app = after.spec.containers.find((c: any) => c.name === 'web');
    const target = (probe: any) => [probe.httpGet.path, probe.httpGet.port];
    assert.deepEqual(target(app.livenessProbe), ['/app-health/web/livez', 15020]);
    assert.deepEqual(target(app.readinessProbe), ['/app-health/web/readyz', 15020]);
    const probers = JSON.parse(proxyOf(after).env.find((e: any) => e.name === 'ISTIO_KUBE_APP_PROBERS').value);
    // The originals, with the named port 'http' resolved to its number.
    assert.deepEqual(target(probers['/app-health/web/livez']), ['/healthz', 80]);
    assert.deepEqual(target(probers['/app-health/web/readyz']), ['/ready', 80]);
  });

  it('answers a second review of its own output with no patch (idempotent for reinvocation)', async () => {
    for (const fixture of ['pod-plain', 'pod-bare', 'pod-http-probes', 'pod-generatename-replicaset']) {
      const { after } = await injected(fixture);
      const again = reviewFixture(fixture);
      again.request.object = after;
      const response = await review(again);
      assert.equal(response.allowed, true);
      assert.equal(response.patch, undefined, `${fixture}: re-injection changes nothing`);
    }
  });

  it('skips opted-out and host-network pods without a patch', async () => {
    for (const fixture of ['pod-opted-out', 'pod-host-network']) {
      const response = await review(reviewFixture(fixture));
      assert.equal(response.allowed, true);
      assert.equal(response.patch, undefined);
    }
  });

  it('denies a pod with an invalid annotation, naming the annotation and the value', async () => {
    const response = await review(reviewFixture('pod-bad-annotation'));
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /10\.0\.0\.0\/33/);
    assert.match(response.status.message, /includeOutboundIPRanges/i);
  });
});
