/**
 * Rendering shares everything it leaves alone with the review's pod (it copies only what it
 * changes in place), so it must never change the pod it was given: the diff and the verification
 * compare against it. A frozen pod makes any change throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig, type InjectorConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';
import { deepFreeze } from '../../../src/config/merge.js';
import { reviewFixture } from '../../support/fixtures.js';

const config = defaultConfig();

/** A pod that takes every path of rendering that changes something in place. */
function busyPod(): Pod {
  const http = (port: number | string) => ({ httpGet: { path: '/healthz', port, scheme: 'HTTPS' }, periodSeconds: 5 });
  return {
    metadata: {
      name: 'busy',
      namespace: 'demo',
      labels: { app: 'busy' },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'prometheus.istio.io/scrape-targets': '9091:/extra',
        'sidecar.istio.io/userVolume': '{"extra":{"emptyDir":{}}}',
        'sidecar.istio.io/userVolumeMount': '{"extra":{"mountPath":"/extra"}}',
      },
    },
    spec: {
      initContainers: [
        { name: 'setup', image: 'busybox', env: [{ name: 'A', value: '1' }] },
        { name: 'log-shipper', image: 'shipper', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 24224 } } },
      ],
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ name: 'http', containerPort: 8080 }],
          env: Array.from({ length: 50 }, (_, i) => ({ name: `VAR_${i}`, value: String(i) })),
          livenessProbe: http('http'),
          readinessProbe: http(8080),
          startupProbe: { grpc: { port: 9000 } },
          lifecycle: { postStart: { httpGet: { path: '/start', port: 8080 } }, preStop: { tcpSocket: { port: 8080 } } },
          volumeMounts: [{ name: 'kube-api-access-x1', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        },
        { name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: '2000m', memory: '1Gi' } } },
      ],
      volumes: [{ name: 'kube-api-access-x1', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      imagePullSecrets: [{ name: 'registry' }],
    },
  };
}

const pods: Array<[string, () => Pod]> = [
  ...['pod-plain', 'pod-bare', 'pod-http-probes', 'pod-generatename-replicaset', 'pod-v1beta1'].map((name): [string, () => Pod] => [name, () => reviewFixture(name).request.object]),
  ['a pod with probes, hooks, native sidecars, Prometheus, user volumes and its own istio-proxy', busyPod],
];

/** Renders a frozen copy and an unfrozen copy of `pod`: same result, and the unfrozen one unchanged. */
function renderUnchanged(pod: Pod, nativeSidecars: boolean, cfg: InjectorConfig = config): Pod {
  const original = structuredClone(pod);
  const free = structuredClone(pod);
  const fromFree = render({ pod: free, namespace: 'demo', nativeSidecars }, cfg);
  assert.deepEqual(free, original, 'the pod given to render is unchanged');
  const fromFrozen = render({ pod: deepFreeze(structuredClone(pod)), namespace: 'demo', nativeSidecars }, cfg);
  assert.deepEqual(fromFrozen, fromFree);
  return fromFree;
}

describe('render leaves its input alone', () => {
  for (const [name, make] of pods) {
    for (const nativeSidecars of [false, true]) {
      it(`${name} (${nativeSidecars ? 'native' : 'classic'} sidecar), and its re-injection`, () => {
        const injected = renderUnchanged(make(), nativeSidecars);
        assert.ok(injected.spec!.containers.some((c: { name: string }) => c.name !== 'istio-proxy'));
        // Re-injection starts from an injected pod: it strips the earlier injection, restores the
        // probes, the Prometheus annotations and the overrides, all on the pod it was given.
        const again = renderUnchanged(structuredClone(injected), nativeSidecars);
        assert.deepEqual(again, injected);
      });
    }
  }
});

describe('render leaves the labels and annotations of its input alone', () => {
  // Rendering shares the pod's label and annotation maps (they can hold 256 KB) and sets the
  // status annotation on the injected pod's own: a template that sets neither labels nor
  // annotations leaves the injected pod with the input's maps until rendering copies them.
  const cfg = buildConfig({ injector: { defaultTemplates: ['bare'], templates: { bare: 'spec:\n  volumes:\n  - name: extra\n    emptyDir: {}\n' } } });

  it('with a custom template that sets no metadata, and its re-injection', () => {
    const injected = renderUnchanged(busyPod(), false, cfg);
    assert.deepEqual(injected.metadata!.labels, { app: 'busy' });
    assert.match(injected.metadata!.annotations!['sidecar.istio.io/status']!, /"volumes":\["extra"\]/);
    assert.deepEqual(renderUnchanged(structuredClone(injected), false, cfg), injected);
  });

  it('with the sidecar template, on a pod with thousands of annotations', () => {
    const pod = busyPod();
    for (let i = 0; i < 5000; i++) pod.metadata!.annotations![`example.com/annotation-${i}`] = `value ${i}`;
    const injected = renderUnchanged(pod, false);
    assert.equal(injected.metadata!.annotations!['example.com/annotation-4999'], 'value 4999');
    assert.deepEqual(renderUnchanged(structuredClone(injected), false), injected);
  });
});
