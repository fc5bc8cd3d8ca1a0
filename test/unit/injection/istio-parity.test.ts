/**
 * Behaviours where we once differed from Istio's injector, each found by differential fuzzing
 * against it (npm run fuzz:istio) and pinned here with the smallest pod that shows it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';

function pod(containers: object[], annotations: Record<string, string> = {}): Pod {
  return { metadata: { name: 'web', namespace: 'demo', annotations }, spec: { containers } };
}

const container = (out: Pod, list: 'containers' | 'initContainers', name: string) => (out.spec![list] as any[]).find((c) => c.name === name);

describe('parity with Istio', () => {
  it('keeps istio-iptables -u 1337 when the user istio-proxy runs as root (the uid owner must not be 0)', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 0, runAsGroup: 0 } }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const args = container(out, 'initContainers', 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1337');
    assert.equal(container(out, 'containers', 'istio-proxy').securityContext.runAsUser, 0);
  });

  it('uses the user istio-proxy runAsUser for istio-iptables -u otherwise', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234 } }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const args = container(out, 'initContainers', 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1234');
  });
});

describe('parity with Istio: the Prometheus merge', () => {
  const merged = (annotations: Record<string, string>) => render({ pod: pod([{ name: 'app', image: 'a' }], annotations), namespace: 'demo', nativeSidecars: false }, defaultConfig());
  const recorded = (out: Pod) => container(out, 'containers', 'istio-proxy').env.find((e: any) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value;

  it('records scrape, path and port, empty when the app did not set them, escaped as Go escapes them', () => {
    assert.equal(recorded(merged({ 'prometheus.io/path': '/m?a=1&b=<2>' })), '{"scrape":"","path":"/m?a=1\\u0026b=\\u003c2\\u003e","port":""}');
  });

  it('takes the port and path of the first scrape target, and records the targets', () => {
    const out = merged({ 'prometheus.io/port': '9090', 'prometheus.istio.io/scrape-targets': '8080:/a, 9091' });
    assert.equal(recorded(out), '{"scrape":"","path":"/a","port":"8080","targets":[{"port":"8080","path":"/a"},{"port":"9091","path":"/metrics"}]}');
    assert.equal(out.metadata!.annotations!['prometheus.istio.io/scrape-targets'], undefined);
    assert.equal(out.metadata!.annotations!['prometheus.io/port'], '15020');
  });

  it('refuses scrape ports that are not port numbers, or that the agent or Envoy own', () => {
    for (const [annotations, message] of [
      [{ 'prometheus.istio.io/scrape-targets': 'app' }, /invalid prometheus scrape targets: invalid target port "app"/],
      [{ 'prometheus.io/port': 'x' }, /invalid prometheus scrape configuration: invalid port "x"/],
      [{ 'prometheus.io/port': '15090' }, /port 15090 is reserved for Istio \(Envoy Prometheus \(already merged\)\)/],
      [{ 'prometheus.io/port': '+15020' }, /port \+15020 conflicts with agent port/],
    ] as const) {
      assert.throws(() => merged(annotations), (err: any) => err.code === 'INVALID_ANNOTATION' && message.test(err.message), JSON.stringify(annotations));
    }
  });

  it('reads a scrape annotation spelled with other separators, and ignores one that is not a Go boolean', () => {
    assert.equal(merged({ 'prometheus.io.scrape': 'false' }).metadata!.annotations!['prometheus.io/port'], undefined);
    assert.equal(merged({ 'prometheus.io/scrape': 'x' }).metadata!.annotations!['prometheus.io/scrape'], 'true');
  });
});
