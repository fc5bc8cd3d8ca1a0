/**
 * Behaviours where we once differed from Istio's injector, each found by differential fuzzing
 * against it (npm run fuzz:istio) and pinned here with the smallest pod that shows it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';

function pod(containers: object[], annotations: Record<string, string> = {}): Pod {
  return { metadata: { name: 'web', namespace: 'demo', annotations }, spec: { containers } };
}

const names = (list: any[] | undefined) => (list ?? []).map((c) => c.name);
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

describe('parity with Istio: cluster and network', () => {
  it("gives the proxy the pod's network label, and ends its variables with cluster, network, scrape settings and probers, in Istio's order", () => {
    const cfg = buildConfig({ values: { global: { multiCluster: { clusterName: 'c1' }, network: 'from-values' } } });
    const p: Pod = {
      metadata: { name: 'web', namespace: 'demo', labels: { 'topology.istio.io/network': 'net-a' }, annotations: { 'prometheus.io/port': '9090' } },
      spec: { containers: [{ name: 'app', image: 'a', readinessProbe: { httpGet: { port: 8080 } } }] },
    };
    const out = render({ pod: p, namespace: 'demo', nativeSidecars: false }, cfg);
    const env = container(out, 'containers', 'istio-proxy').env as any[];
    assert.deepEqual(env.slice(-4).map((e) => e.name), ['ISTIO_META_CLUSTER_ID', 'ISTIO_META_NETWORK', 'ISTIO_PROMETHEUS_ANNOTATIONS', 'ISTIO_KUBE_APP_PROBERS']);
    assert.equal(env.find((e) => e.name === 'ISTIO_META_NETWORK').value, 'net-a');
    assert.equal(out.metadata!.labels!['topology.istio.io/network'], 'net-a');
  });
});

describe('parity with Istio: readiness settings', () => {
  const readiness = (annotations: Record<string, string>) => container(render({ pod: pod([{ name: 'app', image: 'a' }], annotations), namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'containers', 'istio-proxy').readinessProbe;

  it('reads a leading-zero value as YAML 1.1 reads it in Istio\'s template: 010 is octal', () => {
    assert.equal(readiness({ 'readiness.status.sidecar.istio.io/periodSeconds': '010' }).periodSeconds, 8);
    assert.equal(readiness({ 'readiness.status.sidecar.istio.io/failureThreshold': '0099' }).failureThreshold, 99);
  });

  it('refuses a value over 2147483647, which the probe cannot hold', () => {
    assert.throws(() => readiness({ 'readiness.status.sidecar.istio.io/initialDelaySeconds': '4294967295' }), (err: any) => err.code === 'INVALID_ANNOTATION' && /at most 2147483647/.test(err.message));
  });
});

describe('parity with Istio: quantities', () => {
  it("writes quantities as Go does: canonical, except spellings Go's parser keeps as written", async () => {
    const { goQuantityString } = await import('../../../src/injection/go-quantity.js');
    const cases: Record<string, string> = { '5.': '5.', '+1': '+1', '05': '05', '00': '0', '5.0': '5', '1.50': '1500m', '2000m': '2', '1024Mi': '1Gi', '1Ki': '1Ki', '1e3': '1e3', '0.1m': '100u', '1.0Gi': '1Gi', '500M': '500M' };
    for (const [input, written] of Object.entries(cases)) assert.equal(goQuantityString(input), written, input);
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/proxyMemory': '5.' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(container(out, 'containers', 'istio-proxy').resources.requests.memory, '5.');
  });
});

describe('parity with Istio: OpenTelemetry resource attributes', () => {
  const cfg = buildConfig({ mesh: { extensionProviders: [{ name: 'otel', opentelemetry: { service: 'c', port: 4317, serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS' } }] } });
  const attributes = (p: Pod, namespace: string) => container(render({ pod: p, namespace, nativeSidecars: false }, cfg), 'containers', 'istio-proxy').env.find((e: any) => e.name === 'OTEL_RESOURCE_ATTRIBUTES')?.value;

  it("takes the version from a single container's image tag and digest, not from the version label", () => {
    const p: Pod = { metadata: { name: 'p', labels: { version: 'v1' } }, spec: { containers: [{ name: 'app', image: 'reg:5000/nginx:1.21@sha256:abc' }] } };
    assert.equal(attributes(p, 'demo'), 'service.namespace=demo,service.version=1.21@sha256:abc,service.instance.id=demo.$(POD_NAME).app');
  });

  it('uses the resource.opentelemetry.io annotations first, and names no namespace when the pod has none', () => {
    const annotated: Pod = { metadata: { name: 'p', annotations: { 'resource.opentelemetry.io/service.namespace': 'ns1', 'resource.opentelemetry.io/service.instance.id': 'i1' } }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } };
    assert.equal(attributes(annotated, 'demo'), 'service.namespace=ns1,service.instance.id=i1');
    const bare: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
    assert.equal(attributes(bare, ''), 'service.instance.id=.$(POD_NAME).app');
  });
});

describe('parity with Istio: proxy image', () => {
  it('ignores a sidecar.istio.io/proxyImage without a registry, for both the proxy and istio-init', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/proxyImage': 'myproxy' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const expected = container(render({ pod: pod([{ name: 'app', image: 'a' }]), namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'containers', 'istio-proxy').image;
    assert.equal(container(out, 'containers', 'istio-proxy').image, expected);
    assert.equal(container(out, 'initContainers', 'istio-init').image, expected);
  });
});

describe('parity with Istio: merging the template into the pod', () => {
  it("keeps the pod's order for the pod's own items, as a strategic merge patch does", () => {
    const cfg = buildConfig({ values: { global: { imagePullSecrets: ['barSecret'] } } });
    const p: Pod = { metadata: { name: 'p' }, spec: { imagePullSecrets: [{ name: 'regcred' }, { name: 'barSecret' }], containers: [{ name: 'app', image: 'a' }] } };
    const out = render({ pod: p, namespace: 'demo', nativeSidecars: false }, cfg);
    assert.deepEqual(out.spec!.imagePullSecrets, [{ name: 'regcred' }, { name: 'barSecret' }]);
  });
});

describe('parity with Istio: inject.istio.io/templates', () => {
  it('refuses an empty template name, as in "", "sidecar," or ",sidecar"', () => {
    for (const value of ['', 'sidecar,', ',sidecar', 'sidecar,,gateway']) {
      assert.throws(() => render({ pod: pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': value }), namespace: 'demo' }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /template '', which is not defined/.test(err.message), JSON.stringify(value));
    }
  });
});

describe('parity with Istio: proxy.istio.io/overrides written by the user', () => {
  const proxyOf = (out: Pod) => container(out, 'containers', 'istio-proxy');
  it("applies its entries to the injected containers, over the pod's own, in Istio's merge order", () => {
    const annotations = { 'proxy.istio.io/overrides': '{"containers":[{"name":"istio-proxy","env":[{"name":"A","value":"b"}]}]}' };
    const alone = render({ pod: pod([{ name: 'app', image: 'a' }], annotations), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(proxyOf(alone).env[0].name, 'A', 'the entry comes first');
    const withOwn = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', env: [{ name: 'B', value: 'c' }] }], annotations), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const env = proxyOf(withOwn).env.map((e: any) => e.name);
    assert.equal(env[0], 'A');
    assert.equal(env.at(-1), 'B', "the pod's own container is merged under the template");
    assert.equal(withOwn.metadata!.annotations!['proxy.istio.io/overrides'], '{"containers":[{"name":"istio-proxy","env":[{"name":"A","value":"b"}],"resources":{}}]}');
  });

  it('refuses an annotation that is not JSON, or not lists of containers', () => {
    for (const value of ['bad', '[]', '{"containers":"x"}']) {
      assert.throws(() => render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/overrides': value }), namespace: 'demo' }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /proxy\.istio\.io\/overrides/.test(err.message), value);
    }
  });
});

describe('parity with Istio: user volumes', () => {
  it('takes a list of volumes and mounts, naming them by index as Istio\'s template does', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/userVolume': '[{"emptyDir":{}}]', 'sidecar.istio.io/userVolumeMount': '[{"mountPath":"/extra"}]' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual((out.spec!.volumes as any[]).find((v) => v.name === '0'), { name: '0', emptyDir: {} });
    assert.deepEqual(container(out, 'containers', 'istio-proxy').volumeMounts.find((m: any) => m.name === '0'), { name: '0', mountPath: '/extra' });
  });
});

describe('parity with Istio: proxy.istio.io/config', () => {
  it('refuses values Istio cannot read as a ProxyConfig', () => {
    for (const value of ['concurrency: x', 'proxyMetadata: {X: y}', 'holdApplicationUntilProxyStarts: maybe']) {
      assert.throws(() => render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/config': value }), namespace: 'demo' }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && /failed to convert to apply proxy config/.test(err.message), value);
    }
  });

  it('reads YAML 1.1 booleans, proto field names, quoted numbers and Go durations as Istio does', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/config': 'hold_application_until_proxy_starts: yes\nconcurrency: "3"\ndrainDuration: 1m30s' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual(names(out.spec!.containers), ['istio-proxy', 'app']);
    assert.equal(container(out, 'containers', 'istio-proxy').env.find((e: any) => e.name === 'PROXY_CONFIG').value, '{"drainDuration":"90s","concurrency":3,"holdApplicationUntilProxyStarts":true}\n');
  });
});

describe('parity with Istio: re-injection and the network label', () => {
  it('keeps what only the earlier proxy has (a variable, a mount), as the strategic merge of the template over it does', () => {
    const first = render({ pod: pod([{ name: 'app', image: 'a' }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const proxy = container(first, 'containers', 'istio-proxy');
    proxy.env = [...proxy.env, { name: 'EXTRA', value: '1' }];
    proxy.volumeMounts = [...proxy.volumeMounts, { name: 'data', mountPath: '/data' }];
    const again = container(render({ pod: first, namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'containers', 'istio-proxy');
    assert.deepEqual(again.env.at(-1), { name: 'EXTRA', value: '1' });
    assert.deepEqual(again.volumeMounts.at(-1), { name: 'data', mountPath: '/data' });
  });

  it("leaves the values' network where the template puts it when the pod's network label is empty", () => {
    const cfg = buildConfig({ values: { global: { network: 'network1' } } });
    const p: Pod = { metadata: { name: 'p', labels: { 'topology.istio.io/network': '' } }, spec: { containers: [{ name: 'app', image: 'a' }] } };
    const env = container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, cfg), 'containers', 'istio-proxy').env.map((e: any) => e.name);
    assert.equal(env[env.indexOf('ISTIO_META_INTERCEPTION_MODE') + 1], 'ISTIO_META_NETWORK');
  });
});

describe('parity with Istio: image type and ordering', () => {
  it("takes the proxy's image type from the proxy config, not istio-init's", () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/config': 'image: {imageType: distroless}' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.match(container(out, 'containers', 'istio-proxy').image, /-distroless$/);
    assert.doesNotMatch(container(out, 'initContainers', 'istio-init').image, /-distroless$/);
  });

  it('orders init containers by where istio-proxy is, not by the configured mode: a gateway keeps istio-init last', () => {
    const p = pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': 'gateway' });
    p.spec!.initContainers = [{ name: 'setup', image: 'b' }, { name: 'istio-init', image: 'auto', env: [{ name: 'X', value: '1' }] }];
    const out = render({ pod: p, namespace: 'demo', nativeSidecars: true }, defaultConfig());
    assert.deepEqual(names(out.spec!.initContainers), ['setup', 'istio-init']);
  });
});

describe('parity with Istio: user containers and nested durations', () => {
  it("keeps image 'auto' on an app container a template lays settings over", () => {
    const out = render({ pod: pod([{ name: 'app', image: 'auto' }], { 'inject.istio.io/templates': 'grpc-agent' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(container(out, 'containers', 'app').image, 'auto');
  });

  it('runs a user istio-proxy with a runAsUser as root when the mesh config says TPROXY, whatever the annotation says', () => {
    const cfg = buildConfig({ mesh: { defaultConfig: { interceptionMode: 'TPROXY' } } });
    const p = pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1000 } }], { 'sidecar.istio.io/interceptionMode': 'REDIRECT' });
    assert.equal(container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, cfg), 'containers', 'istio-proxy').securityContext.runAsUser, 0);
  });

  it('writes durations inside the proxy config as protobuf JSON does', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/config': 'privateKeyProvider: {cryptomb: {pollDelay: 10ms}}' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(container(out, 'containers', 'istio-proxy').env.find((e: any) => e.name === 'PROXY_CONFIG').value, '{"privateKeyProvider":{"cryptomb":{"pollDelay":"0.010s"}}}\n');
  });
});

describe('parity with Istio: the overrides record', () => {
  it("writes each container as Go's encoding/json does: a gRPC probe's service null, <, > and & escaped", () => {
    const user = { name: 'istio-proxy', image: 'auto', readinessProbe: { grpc: { port: 9000 } }, lifecycle: { postStart: { httpGet: { path: '/a?b=1&c=<2>', port: 80 } } } };
    const out = render({ pod: pod([{ name: 'app', image: 'a' }, user]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(out.metadata!.annotations!['proxy.istio.io/overrides'], '{"containers":[{"name":"istio-proxy","resources":{},"readinessProbe":{"grpc":{"port":9000,"service":null}},"lifecycle":{"postStart":{"httpGet":{"path":"/a?b=1\\u0026c=\\u003c2\\u003e","port":80}}}}]}');
  });
});

describe('parity with Istio: user volumes are read by the templates that use them', () => {
  it('refuses unreadable ones with the sidecar template, and leaves them to a template that does not read them', () => {
    for (const [key, value] of [['sidecar.istio.io/userVolume', 'not json'], ['sidecar.istio.io/userVolume', '{"v":{}}'], ['sidecar.istio.io/userVolumeMount', '"x"'], ['sidecar.istio.io/userVolumeMount', '[[]]']] as const) {
      assert.throws(() => render({ pod: pod([{ name: 'app', image: 'a' }], { [key]: value }), namespace: 'demo', nativeSidecars: false }, defaultConfig()), (err: any) => err.code === 'INVALID_ANNOTATION' && err.message.includes(key), value);
      assert.doesNotThrow(() => render({ pod: pod([{ name: 'app', image: 'a' }], { [key]: value, 'inject.istio.io/templates': 'grpc-simple' }), namespace: 'demo', nativeSidecars: false }, defaultConfig()), value);
    }
  });
});

describe('parity with Istio: the user istio-proxy across injections', () => {
  const status = (containers: string[] | null) => JSON.stringify({ initContainers: containers === null ? null : ['istio-init'], containers, volumes: null, imagePullSecrets: null, revision: 'default' });
  it("takes the proxy user from an overrides entry over the pod's container, keeping the template's 1337 when the entry sets none", () => {
    const p = pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1000 } }], { 'proxy.istio.io/overrides': '{"containers":[{"name":"istio-proxy","env":[{"name":"A","value":"b"}]}]}' });
    assert.equal(container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'containers', 'istio-proxy').securityContext.runAsUser, 1337);
  });

  it("on re-injection, reads the proxy user from the pod's istio-proxy before removing it", () => {
    const p = pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1000 } }], { 'sidecar.istio.io/status': status(['istio-proxy']) });
    const args = container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'initContainers', 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1000');
  });

  it('applies an overrides entry the status does not list as on a first injection', () => {
    const p = pod([{ name: 'app', image: 'a' }], { 'sidecar.istio.io/status': status(null), 'proxy.istio.io/overrides': '{"containers":[{"name":"istio-proxy","env":[{"name":"A","value":"b"}]}]}' });
    assert.equal(container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, defaultConfig()), 'containers', 'istio-proxy').env[0].name, 'A');
  });
});

describe('parity with Istio: the grpc-agent template with the status port off', () => {
  it('writes no resources for the proxy (they sit with the readiness probe in the template)', () => {
    const cfg = buildConfig({ values: { global: { proxy: { statusPort: 0 } } } });
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': 'grpc-agent' }), namespace: 'demo', nativeSidecars: false }, cfg);
    assert.equal(container(out, 'containers', 'istio-proxy').resources, undefined);
  });
});

describe('parity with Istio: what the templates see', () => {
  it('counts an overrides entry for a container the pod lacks among the app containers, without adding it', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'proxy.istio.io/overrides': '{"containers":[{"name":"other","env":[{"name":"A","value":"b"}]}]}' }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(container(out, 'containers', 'istio-proxy').env.find((e: any) => e.name === 'ISTIO_META_APP_CONTAINERS').value, 'app,other');
    assert.deepEqual(names(out.spec!.containers), ['app', 'istio-proxy']);
  });
});

describe('parity with Istio: several templates and the proxy user', () => {
  it('moves a proxy an earlier template made a container into the init containers of a later native one, which wins; the status lists both', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }], { 'inject.istio.io/templates': 'gateway,sidecar' }), namespace: 'demo', nativeSidecars: true }, defaultConfig());
    assert.deepEqual(names(out.spec!.containers), ['app']);
    assert.equal(container(out, 'initContainers', 'istio-proxy').args[1], 'sidecar');
    assert.match(out.metadata!.annotations!['sidecar.istio.io/status']!, /"containers":\["istio-proxy"\]/);
  });

  it('keeps a user-set proxy user under TPROXY when the templates add neither istio-init nor istio-validation', () => {
    const cfg = buildConfig({ mesh: { defaultConfig: { interceptionMode: 'TPROXY' } } });
    const p = pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1000 } }], { 'inject.istio.io/templates': 'grpc-agent' });
    assert.equal(container(render({ pod: p, namespace: 'demo', nativeSidecars: false }, cfg), 'containers', 'istio-proxy').securityContext.runAsUser, 1000);
  });
});
