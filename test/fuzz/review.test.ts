/**
 * Property-based tests of the webhook (bounded; `npm run fuzz:long` in bench/ runs them longer).
 * Random pods and annotations, valid and invalid; malformed, truncated and deeply nested bodies.
 * Every answer is an AdmissionReview or a 4xx with a message; every patch applies under the
 * apiserver's rules and the result validates; re-injection changes nothing; nothing crashes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server/app.js';
import { applyJsonPatchV4 } from '../e2e/emulator/json-patch-v4.js';
import { defaultPod, validatePod } from '../e2e/emulator/pod-validation.js';
import { reviewFixture } from '../support/fixtures.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const app = buildApp({ getConfig: defaultConfig, logger: pino({ level: 'silent' }), onInternalError: 'deny' });

async function send(payload: string): Promise<{ status: number; json: any }> {
  const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload });
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/);
const port = fc.integer({ min: 1, max: 65535 });
const probe = fc.oneof(
  fc.constant(undefined),
  fc.record({ httpGet: fc.record({ path: fc.constantFrom('/', '/healthz', '/ready'), port: fc.oneof(port, fc.constant('http')) }) }),
  fc.record({ tcpSocket: fc.record({ port }) }),
  fc.record({ grpc: fc.record({ port }) }),
  fc.record({ exec: fc.record({ command: fc.constant(['true']) }) }),
);
const env = fc.array(fc.record({ name: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), value: fc.string({ maxLength: 20 }) }), { maxLength: 6 });
const container = fc.record({
  image: fc.constantFrom('nginx:1.27', 'busybox', 'registry.example/app:v1'),
  ports: fc.constant([{ name: 'http', containerPort: 8080 }]),
  env,
  readinessProbe: probe,
  livenessProbe: probe,
});
const annotationValues: Record<string, fc.Arbitrary<string>> = {
  'sidecar.istio.io/inject': fc.constantFrom('true', 'false', 'yes', 'maybe', ''),
  'traffic.sidecar.istio.io/includeOutboundIPRanges': fc.constantFrom('*', '10.0.0.0/8', '10.0.0.0/33', 'bad', ''),
  'traffic.sidecar.istio.io/excludeInboundPorts': fc.constantFrom('80', '1,2,3', '*', 'x', ''),
  'sidecar.istio.io/interceptionMode': fc.constantFrom('REDIRECT', 'TPROXY', 'NONE', 'WHAT'),
  'status.sidecar.istio.io/port': fc.constantFrom('15020', '0', '99999'),
  'sidecar.istio.io/proxyCPU': fc.constantFrom('100m', '2', 'lots'),
  'sidecar.istio.io/nativeSidecar': fc.constantFrom('true', 'false'),
  'sidecar.istio.io/rewriteAppHTTPProbers': fc.constantFrom('true', 'false'),
  'proxy.istio.io/config': fc.constantFrom('holdApplicationUntilProxyStarts: true', '{bad', 'concurrency: 2', 'nope: 1'),
  'inject.istio.io/templates': fc.constantFrom('sidecar', 'gateway', 'missing'),
  'prometheus.io/scrape': fc.constantFrom('true', 'false'),
};
const annotations = fc.record(annotationValues, { requiredKeys: [] });
const pod = fc
  .record({ names: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }), containers: fc.array(container, { minLength: 4, maxLength: 4 }), annotations, initCount: fc.integer({ min: 0, max: 2 }), hostNetwork: fc.boolean() })
  .map(({ names, containers, annotations: a, initCount, hostNetwork }) => {
    const all = names.map((n, i) => ({ name: n, ...containers[i] }));
    const init = all.slice(0, Math.min(initCount, all.length - 1)).map(({ readinessProbe: _r, livenessProbe: _l, ports: _p, ...c }) => c);
    const apps = all.slice(init.length);
    const spec: any = { containers: apps.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))) };
    if (init.length > 0) spec.initContainers = init;
    if (hostNetwork) spec.hostNetwork = true;
    return defaultPod({ metadata: { name: 'fuzz', namespace: 'demo', labels: { app: 'fuzz' }, annotations: a }, spec });
  });

function reviewOf(p: any): any {
  const review = reviewFixture('pod-plain');
  review.request.object = p;
  return review;
}

describe('fuzzing the webhook', () => {
  it('answers every random pod with a valid review; patches apply and validate; re-injection changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(pod, async (p) => {
        const { status, json } = await send(JSON.stringify(reviewOf(p)));
        assert.equal(status, 200);
        assert.equal(json.kind, 'AdmissionReview');
        const response = json.response;
        assert.equal(response.uid, '0c4e1b9e-6a51-4f0e-9d6f-1f2b3c4d5e01');
        if (!response.allowed) {
          assert.equal(response.status.code, 400, `only invalid annotations deny: ${response.status.message}`);
          assert.match(response.status.message, /annotation/);
          return;
        }
        if (response.patch === undefined) return;
        const patched = defaultPod(applyJsonPatchV4(p, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))));
        assert.deepEqual(validatePod(patched), []);
        const again = await send(JSON.stringify(reviewOf(patched)));
        assert.equal(again.json.response.patch, undefined, 'second injection changes nothing');
      }),
      { numRuns: RUNS },
    );
  });

  it('answers malformed, truncated and wrongly typed bodies with a 4xx and a message, or a review', async () => {
    const text = JSON.stringify(reviewFixture('pod-http-probes'));
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.integer({ min: 0, max: text.length - 1 }).map((n) => text.slice(0, n)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => {
        const review = reviewFixture('pod-plain');
        review.request.object.spec = v;
        return JSON.stringify(review);
      }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => {
        const review = reviewFixture('pod-plain');
        review.request.object.metadata.annotations = v;
        return JSON.stringify(review);
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const { status, json } = await send(payload);
        if (status === 200) assert.equal(json.kind, 'AdmissionReview');
        else {
          assert.ok(status >= 400 && status < 500, `status ${status} for ${payload.slice(0, 80)}`);
          assert.equal(json.kind, 'Status');
          assert.ok(json.message.length > 0);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('survives deep nesting and huge strings', async () => {
    // 100,000 levels: deeper than any recursive walk can go. Written as text: JSON.stringify
    // itself cannot produce it.
    const depth = 100_000;
    const deep = JSON.stringify(reviewFixture('pod-plain')).replace('"spec":{', `"spec":{"extra":${'['.repeat(depth)}1${']'.repeat(depth)},`);
    const deepAnswer = await send(deep);
    assert.ok(deepAnswer.status === 200 || deepAnswer.status === 400, `status ${deepAnswer.status}`);
    assert.equal(deepAnswer.json.kind, deepAnswer.status === 200 ? 'AdmissionReview' : 'Status');
    const huge = reviewFixture('pod-plain');
    huge.request.object.metadata.annotations = { note: 'x'.repeat(4 * 1024 * 1024) };
    const hugeAnswer = await send(JSON.stringify(huge));
    assert.equal(hugeAnswer.status, 200);
    assert.equal(hugeAnswer.json.response.allowed, true);
  });
});
