/**
 * Where we differ from Istio's injector on purpose (docs/FIDELITY.md gives each reason; the ids
 * are those the differential fuzzer, bench/fuzz-istio/divergences.ts, recognises). Each test pins
 * our side.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import { decide, render, type Pod } from '../../../src/injection/index.js';

function pod(containers: object[], annotations: Record<string, string> = {}, name = 'web'): Pod {
  return { metadata: { name, namespace: 'demo', annotations }, spec: { containers } };
}

const names = (list: any[] | undefined) => (list ?? []).map((c) => c.name);
const all = (out: Pod) => [...names(out.spec!.initContainers), ...names(out.spec!.containers)];

describe('deliberate divergences from Istio', () => {
  it('duplicate-container-names: a user istio-proxy among the init containers is merged, not duplicated', () => {
    const p = pod([{ name: 'app', image: 'a' }]);
    p.spec!.initContainers = [{ name: 'istio-proxy', image: 'auto', env: [{ name: 'X', value: '1' }] }];
    const out = render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(all(out).filter((n) => n === 'istio-proxy').length, 1);
  });

  it('istio-crashes-on-malformed-status: a status annotation whose lists are not lists names nothing', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/status': '{"containers":"x"}' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual(names(out.spec!.containers), ['app', 'istio-proxy']);
  });

  it('canonical-name-shortened: the gateway template writes a canonical name the apiserver accepts', () => {
    const out = render({ pod: pod([{ name: 'istio-proxy', image: 'auto' }], { 'inject.istio.io/templates': 'gateway' }, 'x'.repeat(70)), namespace: 'demo' }, defaultConfig());
    assert.equal(out.metadata!.labels!['service.istio.io/canonical-name'], 'x'.repeat(63));
  });

  it('quantity-beyond-int64: a proxy quantity above 2^63-1 is written as the largest int64', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/proxyCPU': '9223372036854775808' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal((out.spec!.containers as any[]).find((c) => c.name === 'istio-proxy').resources.requests.cpu, '9223372036854775807');
  });

  it('sourceless-volume: with the gateway template before the sidecar one, the sockets keep emptyDir: {}', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': 'gateway,sidecar' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual((out.spec!.volumes as any[]).find((v) => v.name === 'credential-socket'), { name: 'credential-socket', emptyDir: {} });
  });

  it('repeated-keys-merged: repeated variables and port numbers of an app container a template lays settings over stay as they are', () => {
    const p = pod([{ name: 'app', image: 'a', env: [{ name: 'MODE', value: 'x' }, { name: 'A', value: '1' }, { name: 'MODE', value: 'y' }], ports: [{ containerPort: 53, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }] }], { 'inject.istio.io/templates': 'grpc-agent' });
    const app = (render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig()).spec!.containers as any[]).find((c) => c.name === 'app');
    assert.deepEqual(app.env.filter((e: any) => e.name === 'MODE' || e.name === 'A'), [{ name: 'MODE', value: 'x' }, { name: 'A', value: '1' }, { name: 'MODE', value: 'y' }]);
    assert.deepEqual(app.ports, [{ containerPort: 53, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  });

  it('prometheus-spellings: of two spellings of one Prometheus annotation, the first in the pod is read', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'prometheus.io/scrape': 'true', 'prometheus.io.scrape': 'false' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(out.metadata!.annotations!['prometheus.io/port'], '15020');
  });

  it('reinjection-keeps-overrides: a second pass re-applies the settings the overrides record holds', () => {
    const first = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', args: ['proxy', 'sidecar', '--concurrency', '4'], securityContext: { runAsUser: 1000 } }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const again = render({ pod: first, namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const proxy = (again.spec!.containers as any[]).find((c) => c.name === 'istio-proxy');
    assert.deepEqual(proxy.args, ['proxy', 'sidecar', '--concurrency', '4']);
    assert.equal(proxy.securityContext.runAsUser, 1000);
  });

  it('stale-injected-container: re-injecting with CNI removes the istio-init the earlier injection added', () => {
    const classic = render({ pod: pod([{ name: 'app', image: 'a' }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const cni = buildConfig({ values: { pilot: { cni: { enabled: true } } } });
    const again = render({ pod: classic, namespace: 'demo', nativeSidecars: false }, cni);
    assert.deepEqual(names(again.spec!.initContainers), ['istio-validation']);
  });

  it('reinjection-keeps-overrides, with TPROXY: a pod whose istio-proxy sets its user keeps that user for istio-iptables -u', () => {
    const cfg = buildConfig({ mesh: { defaultConfig: { interceptionMode: 'TPROXY' } } });
    const first = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234 } }]), namespace: 'demo', nativeSidecars: false }, cfg);
    const again = render({ pod: first, namespace: 'demo', nativeSidecars: false }, cfg);
    const args = (again.spec!.initContainers as any[]).find((c) => c.name === 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1234');
  });
});

describe('deliberate divergences from Istio, several templates', () => {
  it('proxy-init-not-native: gateway and sidecar templates with native sidecars and a user istio-proxy among the init containers give a native sidecar', () => {
    const p = pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': 'gateway,sidecar' });
    p.spec!.initContainers = [{ name: 'istio-proxy', image: 'auto', args: ['proxy', 'sidecar', '--concurrency', '4'] }];
    const out = render({ pod: p, namespace: 'demo', nativeSidecars: true }, defaultConfig());
    const proxy = (out.spec!.initContainers as any[]).find((c) => c.name === 'istio-proxy');
    assert.equal(proxy.restartPolicy, 'Always');
    assert.deepEqual(proxy.args, ['proxy', 'sidecar', '--concurrency', '4']);
  });

  it('user-volume-name: a user volume named other than a DNS-1123 label is refused, naming the annotation', () => {
    for (const name of ['__proto__', 'Bad_Name', 'x'.repeat(64)]) {
      // Written as text: an object literal's `__proto__` would set its prototype, not a key.
      const p = pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/userVolume': `{${JSON.stringify(name)}:{"emptyDir":{}}}` });
      assert.throws(() => render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /userVolume': volume name .* is not a DNS-1123 label/.test(err.message), name);
    }
  });

  it('annotation-caps: more than 32 templates, and a proxy config over 8 KiB, are refused naming the annotation', () => {
    const many = pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': Array.from({ length: 33 }, () => 'sidecar').join(',') });
    assert.throws(() => render({ pod: many, namespace: 'demo' }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /33 templates, more than the 32 a pod may select/.test(err.message));
    const thirtyTwo = pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': Array.from({ length: 32 }, () => 'sidecar').join(',') });
    assert.doesNotThrow(() => render({ pod: thirtyTwo, namespace: 'demo' }, defaultConfig()));
    const large = pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/config': `concurrency: 2\n${'# comment\n'.repeat(1000)}` });
    assert.throws(() => render({ pod: large, namespace: 'demo' }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /more than the 8192 read as YAML/.test(err.message));
    const heavy = pod([{ name: 'app', image: 'a' }], { note: 'x'.repeat(256 * 1024) });
    assert.throws(() => decide({ pod: heavy, namespace: 'demo' }, defaultConfig(), 'kube-inject'), (err: any) => err.code === 'INVALID_POD' && /metadata\.annotations: Too long: must have at most 262144 bytes/.test(err.message));
  });
});
