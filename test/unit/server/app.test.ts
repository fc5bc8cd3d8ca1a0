import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { InjectorError } from '../../../src/errors.js';
import { applyPatch } from '../../../src/patch/index.js';
import { buildApp, type AppDeps } from '../../../src/server/app.js';
import { FAKE_CONFIG, fakeEngine } from '../../support/fake-engine.js';
import { reviewFixture, reviewFixtureText } from '../../support/fixtures.js';

const silent = pino({ level: 'silent' });

function app(overrides: Partial<AppDeps> = {}) {
  return buildApp({ getConfig: () => FAKE_CONFIG, logger: silent, engine: fakeEngine, ...overrides });
}

async function post(body: string | object, options: { url?: string; contentType?: string; deps?: Partial<AppDeps> } = {}) {
  const res = await app(options.deps).inject({
    method: 'POST',
    url: options.url ?? '/inject?timeout=10s',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.json() as any };
}

function decodePatch(response: any): any[] {
  assert.equal(response.patchType, 'JSONPatch');
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
}

describe('POST /inject refuses what is not an AdmissionReview, with a Status body', () => {
  const cases: Array<[string, string | object, number, RegExp, string?]> = [
    ['an empty body', '', 400, /body is empty/],
    ['malformed JSON', '{"kind":', 400, /not valid JSON/],
    ['a JSON array', '[]', 400, /JSON object of kind AdmissionReview/],
    ['another kind', { kind: 'Pod', apiVersion: 'v1' }, 400, /expected kind 'AdmissionReview', got "Pod"/],
    ['an unknown version', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v2' }, 400, /unsupported apiVersion "admission.k8s.io\/v2"/],
    ['a review without request', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, 400, /no request object/],
    ['a request without uid', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: '' } }, 400, /no uid/],
    ['text/plain', '{}', 415, /Content-Type must be application\/json/, 'text/plain'],
  ];
  for (const [name, body, status, message, contentType] of cases) {
    it(`answers ${status} to ${name}`, async () => {
      const res = await post(body, contentType === undefined ? {} : { contentType });
      assert.equal(res.status, status);
      assert.equal(res.json.kind, 'Status');
      assert.equal(res.json.code, status);
      assert.match(res.json.message, message);
    });
  }

  it('answers 413 to a body over the limit and accepts one under it', async () => {
    const review = reviewFixture('pod-plain');
    review.request.object.metadata.annotations = { big: 'x'.repeat(20_000) };
    const tooBig = await post(review, { deps: { bodyLimit: 10_000 } });
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.json.message, /larger than the limit of 10000 bytes/);
    const fine = await post(review, { deps: { bodyLimit: 100_000 } });
    assert.equal(fine.status, 200);
  });

  it('accepts application/json with a charset parameter', async () => {
    const res = await post(reviewFixtureText('pod-plain'), { contentType: 'application/json; charset=utf-8' });
    assert.equal(res.status, 200);
  });

  it('answers 404 with a hint for unknown routes', async () => {
    const res = await app().inject({ method: 'GET', url: '/mutate' });
    assert.equal(res.statusCode, 404);
    assert.match(res.json().message, /POST \/inject/);
  });
});

describe('POST /inject answers reviews', () => {
  it('patches a pod: allowed, uid echoed, padded base64 JSON patch that applies to the pod', async () => {
    const review = reviewFixture('pod-plain');
    const res = await post(review);
    assert.equal(res.status, 200);
    assert.equal(res.json.apiVersion, 'admission.k8s.io/v1');
    assert.equal(res.json.kind, 'AdmissionReview');
    assert.equal(res.json.response.uid, review.request.uid);
    assert.equal(res.json.response.allowed, true);
    assert.match(res.json.response.patch, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(res.json.response.patch.length % 4, 0);
    const patched = applyPatch(review.request.object, decodePatch(res.json.response));
    assert.deepEqual(patched.spec.containers.map((c: any) => c.name), ['web', 'sidecar']);
    assert.equal(patched.metadata.labels.injected, 'yes');
  });

  it('answers a v1beta1 review in v1beta1', async () => {
    const res = await post(reviewFixture('pod-v1beta1'));
    assert.equal(res.json.apiVersion, 'admission.k8s.io/v1beta1');
    assert.equal(res.json.response.allowed, true);
  });

  it('lets other kinds through without a patch', async () => {
    const res = await post(reviewFixture('service-create'));
    assert.deepEqual(res.json.response, { uid: '0c4e1b9e-6a51-4f0e-9d6f-1f2b3c4d5e09', allowed: true });
  });

  it('lets non-CREATE operations and subresources through without a patch', async () => {
    const update = reviewFixture('pod-plain');
    update.request.operation = 'UPDATE';
    assert.equal((await post(update)).json.response.patch, undefined);
    const exec = reviewFixture('pod-plain');
    exec.request.subResource = 'exec';
    assert.equal((await post(exec)).json.response.patch, undefined);
  });

  it('lets a skipped pod through without a patch and says why in a warning', async () => {
    const review = reviewFixture('pod-plain');
    review.request.object.metadata.labels.skip = 'true';
    const res = await post(review);
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patch, undefined);
    assert.match(res.json.response.warnings[0], /the pod opts out/);
  });

  it('denies a Pod CREATE whose object is not a pod', async () => {
    const review = reviewFixture('pod-plain');
    review.request.object = { kind: 'Pod', metadata: {} };
    const res = await post(review);
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 400);
    assert.match(res.json.response.status.message, /not a Pod with spec.containers/);
  });

  it('passes /inject/cluster/X/net/Y to the engine', async () => {
    let seen: unknown;
    const engine = { ...fakeEngine, render: (req: any, cfg: any) => ((seen = { clusterId: req.clusterId, network: req.network }), fakeEngine.render(req, cfg)) };
    await post(reviewFixture('pod-plain'), { url: '/inject/cluster/east/net/net-1?timeout=10s', deps: { engine } });
    assert.deepEqual(seen, { clusterId: 'east', network: 'net-1' });
  });
});

describe('POST /inject when injection fails', () => {
  const throwing = (err: Error) => ({ ...fakeEngine, render: () => { throw err; } });

  it('denies a pod with an invalid annotation, naming it', async () => {
    const err = new InjectorError('INVALID_ANNOTATION', "invalid value '10.0.0.0/33' for annotation 'traffic.sidecar.istio.io/includeOutboundIPRanges': not a CIDR");
    const res = await post(reviewFixture('pod-plain'), { deps: { engine: throwing(err) } });
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 400);
    assert.match(res.json.response.status.message, /includeOutboundIPRanges/);
  });

  it('admits the pod without a sidecar, with a warning, when our engine fails (default)', async () => {
    const res = await post(reviewFixture('pod-plain'), { deps: { engine: throwing(new TypeError('boom')) } });
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patch, undefined);
    assert.match(res.json.response.warnings[0], /WITHOUT a sidecar/);
  });

  it('refuses the pod with 500 when configured with onInternalError=deny', async () => {
    const res = await post(reviewFixture('pod-plain'), { deps: { engine: throwing(new TypeError('boom')), onInternalError: 'deny' } });
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 500);
  });

  it('never sends a patch the apiserver would refuse (a duplicate container name)', async () => {
    const engine = {
      ...fakeEngine,
      render: (req: any) => {
        const pod = structuredClone(req.pod);
        pod.spec.containers.push({ name: pod.spec.containers[0].name });
        return pod;
      },
    };
    const res = await post(reviewFixture('pod-plain'), { deps: { engine } });
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patch, undefined);
    assert.match(res.json.response.warnings[0], /container name 'web' is used twice/);
  });
});

describe('health endpoints', () => {
  it('/healthz answers 200; /readyz answers 503 with reasons until ready', async () => {
    let problems = ['no serving certificate loaded'];
    const a = app({ readiness: () => problems });
    assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
    const notReady = await a.inject({ url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json().problems, ['no serving certificate loaded']);
    problems = [];
    assert.equal((await a.inject({ url: '/readyz' })).statusCode, 200);
  });
});

describe('POST /inject path parameters', () => {
  it('keeps an encoded / inside a value', async () => {
    let seen: unknown;
    const engine = { ...fakeEngine, render: (req: any, cfg: any) => ((seen = req.network), fakeEngine.render(req, cfg)) };
    await post(reviewFixture('pod-plain'), { url: '/inject/net/a%2Fb?timeout=10s', deps: { engine } });
    assert.equal(seen, 'a/b');
  });
});

describe('logging', () => {
  it('writes exactly one line per review at info, without fastify request lines', async () => {
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const a = buildApp({ getConfig: () => FAKE_CONFIG, logger, engine: fakeEngine });
    await a.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: reviewFixtureText('pod-plain') });
    assert.deepEqual(lines.map((l) => l.msg), ['review']);
    assert.equal(lines[0].decision, 'injected');
    assert.equal(lines[0].uid, '0c4e1b9e-6a51-4f0e-9d6f-1f2b3c4d5e01');
    assert.equal(lines[0].apiVersion, 'admission.k8s.io/v1', 'the review version');
    assert.equal(lines[0].object, undefined, 'no pod spec at info');
  });
});
