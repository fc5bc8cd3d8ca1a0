/**
 * Which port app probes and the Prometheus merge use, as Istio picks it (each case found by
 * differential fuzzing against Istio's injector): the status port annotation, else the mesh
 * config's status port, never the values' `global.proxy.statusPort` (which only moves the agent's
 * own probe and flags).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';

function pod(annotations: Record<string, string> = {}, probePort: number | string = 8080): Pod {
  return {
    metadata: { name: 'web', namespace: 'demo', annotations },
    spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/ready', port: probePort } } }] },
  };
}

const app = (out: Pod) => out.spec!.containers.find((c: any) => c.name === 'web');
const proxy = (out: Pod) => out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
const probers = (out: Pod) => proxy(out).env.find((e: any) => e.name === 'ISTIO_KUBE_APP_PROBERS')?.value;

describe('status ports of probes and metrics', () => {
  it("points app probes at the mesh status port when only the values' status port changes", () => {
    const cfg = buildConfig({ values: { global: { proxy: { statusPort: 123 } } } });
    const out = render({ pod: pod(), namespace: 'demo', nativeSidecars: false }, cfg);
    assert.deepEqual(app(out).readinessProbe.httpGet, { path: '/app-health/web/readyz', port: 15020 });
    const init = out.spec!.initContainers.find((c: any) => c.name === 'istio-init');
    assert.ok(init.args.includes('15090,15021,123'), "the values' port is what iptables leaves alone");
  });

  it('points app probes at the status port annotation, and does not record a probe already on the mesh status port', () => {
    const out = render({ pod: pod({ 'status.sidecar.istio.io/port': '8000' }, 15020), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual(app(out).readinessProbe.httpGet, { path: '/app-health/web/readyz', port: 8000 });
    assert.equal(probers(out), undefined);
  });

  it('leaves probes alone where Istio would point them at port 0 (annotation "0", or " 15021", which Go\'s Atoi cannot read)', () => {
    for (const value of ['0', ' 15021']) {
      const out = render({ pod: pod({ 'status.sidecar.istio.io/port': value }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
      assert.deepEqual(app(out).readinessProbe.httpGet, { path: '/ready', port: 8080 }, value);
      assert.equal(probers(out), undefined, value);
    }
  });

  it("kube-inject: the pod's proxy config status port moves probes and the metrics merge; the webhook keeps the mesh's", () => {
    const p = pod({ 'proxy.istio.io/config': 'statusPort: 15021' });
    const offline = render({ pod: p, namespace: 'demo', nativeSidecars: false, podProxyConfigInMesh: true }, defaultConfig());
    assert.equal(app(offline).readinessProbe.httpGet.port, 15021);
    assert.equal(offline.metadata!.annotations!['prometheus.io/port'], '15021');
    const webhook = render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(app(webhook).readinessProbe.httpGet.port, 15020);
    assert.equal(webhook.metadata!.annotations!['prometheus.io/port'], '15020');
  });
});
