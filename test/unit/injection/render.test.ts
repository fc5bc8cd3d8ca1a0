import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';

function pod(extra: { annotations?: Record<string, string>; initContainers?: object[]; containers?: object[] } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
      containers: extra.containers ?? [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }],
    },
  };
}

const names = (list: any[] | undefined) => (list ?? []).map((c) => c.name);

describe('render', () => {
  it('classic mode: istio-proxy is the last container, istio-init the last init container', () => {
    const out = render({ pod: pod({ initContainers: [{ name: 'setup', image: 'busybox' }] }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual(names(out.spec!.containers), ['web', 'istio-proxy']);
    assert.deepEqual(names(out.spec!.initContainers), ['setup', 'istio-init']);
  });

  it('native mode: istio-init, then istio-proxy with restartPolicy Always, then the user init containers', () => {
    const out = render({ pod: pod({ initContainers: [{ name: 'setup', image: 'busybox' }] }), namespace: 'demo', nativeSidecars: true }, defaultConfig());
    assert.deepEqual(names(out.spec!.initContainers), ['istio-init', 'istio-proxy', 'setup']);
    assert.deepEqual(names(out.spec!.containers), ['web']);
    assert.equal(out.spec!.initContainers[1].restartPolicy, 'Always');
  });

  it('the nativeSidecar annotation wins over the configured mode', () => {
    const out = render({ pod: pod({ annotations: { 'sidecar.istio.io/nativeSidecar': 'true' } }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.deepEqual(names(out.spec!.initContainers), ['istio-init', 'istio-proxy']);
  });

  it('holdApplicationUntilProxyStarts puts istio-proxy first with a postStart wait', () => {
    const cfg = buildConfig({ values: { global: { proxy: { holdApplicationUntilProxyStarts: true } } } });
    const out = render({ pod: pod(), namespace: 'demo', nativeSidecars: false }, cfg);
    assert.deepEqual(names(out.spec!.containers), ['istio-proxy', 'web']);
    assert.deepEqual(out.spec!.containers[0].lifecycle.postStart.exec.command, ['pilot-agent', 'wait']);
  });

  it('does not modify the pod it is given', () => {
    const input = pod();
    const before = structuredClone(input);
    render({ pod: input, namespace: 'demo' }, defaultConfig());
    assert.deepEqual(input, before);
  });

  it('is idempotent: rendering its own output changes nothing', () => {
    for (const nativeSidecars of [true, false]) {
      const once = render({ pod: pod({ containers: [{ name: 'web', image: 'nginx', readinessProbe: { httpGet: { port: 80, path: '/r' } } }] }), namespace: 'demo', nativeSidecars }, defaultConfig());
      const twice = render({ pod: once, namespace: 'demo', nativeSidecars }, defaultConfig());
      assert.deepEqual(twice, once);
    }
  });

  it('traffic annotations reach istio-iptables', () => {
    const out = render(
      {
        pod: pod({ annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8', 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432', 'traffic.sidecar.istio.io/excludeInterfaces': 'eth1' } }),
        namespace: 'demo',
        nativeSidecars: false,
      },
      defaultConfig(),
    );
    const args = out.spec!.initContainers.find((c: any) => c.name === 'istio-init').args;
    assert.deepEqual(args.slice(11, 13), ['-x', '10.0.0.0/8']);
    assert.deepEqual(args.slice(17, 21), ['-o', '5432', '-c', 'eth1']);
  });

  it('resource annotations set the proxy resources, canonically', () => {
    const out = render({ pod: pod({ annotations: { 'sidecar.istio.io/proxyCPU': '1000m', 'sidecar.istio.io/proxyMemoryLimit': '2048Mi' } }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const proxy = out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    assert.deepEqual(proxy.resources, { requests: { cpu: '1' }, limits: { memory: '2Gi' } });
  });

  it('a user istio-proxy container overrides the template and is recorded', () => {
    const out = render(
      { pod: pod({ containers: [{ name: 'web', image: 'nginx' }, { name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: '3000m' } } }] }), namespace: 'demo', nativeSidecars: false },
      defaultConfig(),
    );
    const proxy = out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    assert.match(proxy.image, /\/proxyv2:/);
    assert.equal(proxy.resources.limits.cpu, '3');
    assert.equal(out.metadata!.annotations!['proxy.istio.io/overrides'], '{"containers":[{"name":"istio-proxy","resources":{"limits":{"cpu":"3"}}}]}');
  });

  it('a user istio-proxy keeps the template order for the injected mounts, then its own', () => {
    const out = render(
      { pod: pod({ containers: [{ name: 'web', image: 'nginx' }, { name: 'istio-proxy', image: 'auto', volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }] }] }), namespace: 'demo', nativeSidecars: true },
      defaultConfig(),
    );
    const mounts = out.spec!.initContainers.find((c: any) => c.name === 'istio-proxy').volumeMounts.map((m: any) => m.name);
    assert.equal(mounts.at(-1), 'certs');
    assert.equal(mounts[0], 'workload-socket');
  });

  it('re-injecting a classic proxy as a native sidecar keeps its earlier settings, unrecorded', () => {
    const classic = render({ pod: pod(), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const oldProxy = classic.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    oldProxy.args = [...oldProxy.args, '--concurrency', '2'];
    oldProxy.env = [{ name: 'JWT_POLICY', value: 'third-party-jwt' }, ...oldProxy.env];
    const native = render({ pod: classic, namespace: 'demo', nativeSidecars: true }, defaultConfig());
    assert.deepEqual(names(native.spec!.initContainers), ['istio-init', 'istio-proxy']);
    assert.deepEqual(names(native.spec!.containers), ['web']);
    const proxy = native.spec!.initContainers[1];
    assert.equal(proxy.restartPolicy, 'Always');
    assert.deepEqual(proxy.args.slice(-2), ['--concurrency', '2']);
    assert.deepEqual(proxy.env[0], { name: 'JWT_POLICY', value: 'third-party-jwt' });
    assert.equal(native.metadata!.annotations!['proxy.istio.io/overrides'], undefined);
    // As in Istio (checked against its injector), the next re-injection merges the template over
    // the proxy it finds, so the variable stays; and from there on rendering is idempotent.
    const again = render({ pod: native, namespace: 'demo', nativeSidecars: true }, defaultConfig());
    assert.deepEqual(again.spec!.initContainers[1].env[0], { name: 'JWT_POLICY', value: 'third-party-jwt' });
    assert.deepEqual(render({ pod: again, namespace: 'demo', nativeSidecars: true }, defaultConfig()), again);
  });

  it('ignores unknown fields of proxy.istio.io/config, as Istio does, and keeps the known ones', () => {
    const out = render({ pod: pod({ annotations: { 'proxy.istio.io/config': '{"noSuchField": 1, "concurrency": 3}' } }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const proxy = out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    assert.equal(proxy.env.find((e: any) => e.name === 'PROXY_CONFIG').value, '{"concurrency":3}\n');
  });

  it('PROXY_CONFIG follows the configuration: each (reloaded) configuration and each annotated pod gets its own', () => {
    const proxyConfigOf = (out: Pod) => out.spec!.containers.find((c: any) => c.name === 'istio-proxy').env.find((e: any) => e.name === 'PROXY_CONFIG').value;
    const renderWith = (cfg: ReturnType<typeof defaultConfig>, annotations?: Record<string, string>) => proxyConfigOf(render({ pod: pod(annotations ? { annotations } : {}), namespace: 'demo', nativeSidecars: false }, cfg));
    const first = buildConfig({ mesh: { defaultConfig: { concurrency: 4 } } });
    assert.equal(renderWith(first), '{"concurrency":4}\n');
    assert.equal(renderWith(first), '{"concurrency":4}\n');
    const reloaded = buildConfig({ mesh: { defaultConfig: { concurrency: 6, drainDuration: '1m30s' } } });
    assert.equal(renderWith(reloaded), '{"drainDuration":"90s","concurrency":6}\n');
    assert.equal(renderWith(first, { 'proxy.istio.io/config': 'concurrency: 8' }), '{"concurrency":8}\n');
    assert.equal(renderWith(first), '{"concurrency":4}\n');
    // A configuration that is not frozen may change between pods: never remembered.
    const mutable = structuredClone(first);
    assert.equal(renderWith(mutable), '{"concurrency":4}\n');
    mutable.mesh.defaultConfig.concurrency = 5;
    assert.equal(renderWith(mutable), '{"concurrency":5}\n');
  });

  it('keeps repeated variable names and ports whole when a template lists the app containers, and re-injection changes nothing', () => {
    const fieldRef = { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } };
    const env = [{ name: 'X', valueFrom: fieldRef }, { name: 'X', value: 'abc' }];
    const ports = [{ containerPort: 53, protocol: 'TCP', name: 'dns-tcp' }, { containerPort: 53, protocol: 'UDP', name: 'dns' }];
    for (const nativeSidecars of [false, true]) {
      const input = pod({ annotations: { 'inject.istio.io/templates': 'sidecar,grpc-simple' }, containers: [{ name: 'web', image: 'nginx', env, ports, resources: {} }] });
      const out = render({ pod: input, namespace: 'demo', nativeSidecars }, defaultConfig());
      const web = out.spec!.containers.find((c: any) => c.name === 'web');
      assert.deepEqual(web.env.slice(-2), env);
      assert.deepEqual(web.ports, ports);
      assert.deepEqual(render({ pod: out, namespace: 'demo', nativeSidecars }, defaultConfig()), out);
    }
  });

  it('interception mode NONE without native sidecars adds no init container', () => {
    const out = render({ pod: pod({ annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    assert.equal(out.spec!.initContainers, undefined);
  });

  it('CNI mode uses istio-validation and records traffic settings as annotations', () => {
    const cfg = buildConfig({ values: { pilot: { cni: { enabled: true } } } });
    const out = render({ pod: pod(), namespace: 'demo', nativeSidecars: false }, cfg);
    assert.deepEqual(names(out.spec!.initContainers), ['istio-validation']);
    assert.equal(out.metadata!.annotations!['traffic.sidecar.istio.io/excludeInboundPorts'], '15020');
  });

  it('refuses a template that is not defined, naming it', () => {
    assert.throws(
      () => render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'nope' } }), namespace: 'demo' }, defaultConfig()),
      (err: any) => err.code === 'INVALID_ANNOTATION' && /annotation 'inject.istio.io\/templates': template 'nope', which is not defined/.test(err.message),
    );
  });

  it('applies a custom template overlay to every app container', () => {
    const cfg = buildConfig({ injector: { templates: { extra: 'spec:\n  containers:\n  {{- range $i, $c := .Spec.Containers }}\n  - name: {{ $c.Name }}\n    env:\n    - name: X\n      value: "1"\n  {{- end }}\n' } } });
    const out = render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'sidecar,extra' } }), namespace: 'demo', nativeSidecars: false }, cfg);
    const web = out.spec!.containers.find((c: any) => c.name === 'web');
    assert.deepEqual(web.env, [{ name: 'X', value: '1' }]);
  });

  it('reads container names a custom template writes unquoted as names, even those YAML would read as numbers or null', () => {
    const template = 'spec:\n  containers:\n  {{- range $i, $c := .Spec.Containers }}\n  - name: {{ $c.Name }}  # the app\n    env:\n    - name: X\n      value: "{{ $c.Name }}"\n    volumeMounts:\n    - mountPath: /data/{{ $c.Name }}\n      name: data\n  {{- end }}\n  volumes:\n  - name: data\n    emptyDir: {}\n';
    const cfg = buildConfig({ injector: { templates: { extra: template } } });
    const appNames = ['0', '123', '1e3', 'null', 'true', '0x1f', 'web'];
    const out = render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'sidecar,extra' }, containers: appNames.map((name) => ({ name, image: 'nginx' })) }), namespace: 'demo', nativeSidecars: false }, cfg);
    for (const name of appNames) {
      const container = out.spec!.containers.find((c: any) => c.name === name);
      assert.deepEqual(container.env, [{ name: 'X', value: name }], name);
      assert.deepEqual(container.volumeMounts, [{ mountPath: `/data/${name}`, name: 'data' }], name);
    }
    assert.deepEqual(names(out.spec!.containers), [...appNames, 'istio-proxy']);
  });

  it('denies a pod whose container name would change the custom template YAML it is put into', () => {
    const cfg = buildConfig({ injector: { templates: { extra: 'spec:\n  containers:\n  {{- range $i, $c := .Spec.Containers }}\n  - name: {{ $c.Name }}\n    env:\n    - name: X\n      value: "1"\n  {{- end }}\n' } } });
    for (const name of ['web\n    securityContext: {privileged: true}', '['.repeat(200_000), 'Web', 'a'.repeat(64)]) {
      assert.throws(
        () => render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'sidecar,extra' }, containers: [{ name, image: 'nginx' }] }), namespace: 'demo' }, cfg),
        (err: any) => err.code === 'INVALID_POD' && /is not a DNS-1123 label .*template 'extra' cannot be applied/.test(err.message) && err.message.length < 600,
      );
    }
    // Templates without the range construct do not read container names.
    const plain = buildConfig({ injector: { templates: { label: 'metadata:\n  labels:\n    extra: "yes"\n' } } });
    const out = render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'sidecar,label' }, containers: [{ name: 'Web', image: 'nginx' }] }), namespace: 'demo' }, plain);
    assert.equal(out.metadata!.labels!.extra, 'yes');
  });

  it('loads a custom template with Go actions it cannot evaluate, and refuses pods that select it', () => {
    const cfg = buildConfig({ injector: { templates: { bad: 'metadata:\n  labels:\n    x: {{ .Values.global.hub }}\n' } } });
    assert.throws(
      () => render({ pod: pod({ annotations: { 'inject.istio.io/templates': 'bad' } }), namespace: 'demo' }, cfg),
      (err: any) => err.code === 'INVALID_ANNOTATION' && /template 'bad' uses the Go template action '\{\{ .Values.global.hub \}\}'/.test(err.message),
    );
  });

  it('renders a 2,000-variable pod quickly', () => {
    const env = Array.from({ length: 2000 }, (_, i) => ({ name: `V${i}`, value: String(i) }));
    const big = pod({ containers: [{ name: 'web', image: 'nginx', env }] });
    const started = performance.now();
    for (let i = 0; i < 20; i++) render({ pod: big, namespace: 'demo' }, defaultConfig());
    assert.ok((performance.now() - started) / 20 < 20, 'well under 20 ms per render');
  });

  it('refuses a userVolumeMount naming a volume nobody defines, naming the annotation', () => {
    assert.throws(
      () => render({ pod: pod({ annotations: { 'sidecar.istio.io/userVolumeMount': '{"extra":{"mountPath":"/extra"}}' } }), namespace: 'demo' }, defaultConfig()),
      (err: any) => err.code === 'INVALID_ANNOTATION' && /userVolumeMount.*'extra' defined neither by the pod nor by sidecar.istio.io\/userVolume/.test(err.message),
    );
    const ok = render({ pod: pod({ annotations: { 'sidecar.istio.io/userVolumeMount': '{"extra":{"mountPath":"/extra"}}', 'sidecar.istio.io/userVolume': '{"extra":{"emptyDir":{}}}' } }), namespace: 'demo' }, defaultConfig());
    assert.ok(ok.spec!.volumes.some((v: any) => v.name === 'extra'));
  });

  it('writes the status annotation and ISTIO_META_POD_PORTS as JSON.stringify writes their values, awkward port names included', () => {
    const awkward = 'quote " back \\ é \u2028';
    const out = render(
      {
        pod: pod({
          annotations: { 'sidecar.istio.io/userVolume': JSON.stringify({ 'extra-vol': { emptyDir: {} } }) },
          containers: [
            { name: 'web', image: 'nginx', ports: [{ name: awkward, containerPort: 80, protocol: 'TCP' }, { containerPort: 81, hostPort: 8081, hostIP: '10.0.0.1' }] },
            { name: 'side', image: 'nginx' },
            { name: 'db', image: 'pg', ports: [{ name: 'pg', containerPort: 5432 }] },
          ],
        }),
        namespace: 'demo',
        nativeSidecars: false,
      },
      defaultConfig(),
    );
    const status = out.metadata!.annotations!['sidecar.istio.io/status']!;
    const parsed = JSON.parse(status);
    assert.equal(status, JSON.stringify(parsed));
    assert.deepEqual(Object.keys(parsed), ['initContainers', 'containers', 'volumes', 'imagePullSecrets', 'revision']);
    assert.deepEqual(parsed.initContainers, ['istio-init']);
    assert.deepEqual(parsed.containers, ['istio-proxy']);
    assert.ok(parsed.volumes.includes('extra-vol'));
    assert.equal(parsed.imagePullSecrets, null);
    assert.equal(parsed.revision, 'default');

    const proxy = out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    const ports = proxy.env.find((e: any) => e.name === 'ISTIO_META_POD_PORTS').value;
    const expected = [
      { name: awkward, containerPort: 80, protocol: 'TCP' },
      { hostPort: 8081, containerPort: 81, hostIP: '10.0.0.1' },
      { name: 'pg', containerPort: 5432 },
    ].map((port, i) => `    ${i === 0 ? '' : ','}${JSON.stringify(port)}`);
    assert.equal(ports, ['[', ...expected, ']'].join('\n'));
  });

  it('writes ISTIO_META_POD_PORTS of a pod without ports as an empty list on two lines', () => {
    const out = render({ pod: pod({ containers: [{ name: 'web', image: 'nginx' }] }), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const proxy = out.spec!.containers.find((c: any) => c.name === 'istio-proxy');
    assert.equal(proxy.env.find((e: any) => e.name === 'ISTIO_META_POD_PORTS').value, '[\n]');
  });
});
