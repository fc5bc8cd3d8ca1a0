/**
 * Property-based tests of the webhook, bounded for `npm test` (FUZZ_RUNS, FUZZ_SEED override;
 * `node bench/fuzz.mjs` runs them long and strict: FUZZ_STRICT=1 also fails on our internal-error
 * answers to valid pods). Random pods and annotations, valid and invalid; malformed,
 * truncated, wrongly typed, deeply nested and huge bodies. Properties: every answer is one the
 * apiserver accepts (read with the emulator's strict decoder) or a 4xx with a message; every patch
 * applies under the apiserver's JSON patch rules and the result validates as a Pod; re-injection
 * changes nothing; rendering never changes the pod it is given; nothing ever answers 5xx or throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { buildConfig, defaultConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server/app.js';
import { decodeAnswer } from '../e2e/emulator/call.js';
import { applyJsonPatchV4 } from '../e2e/emulator/json-patch-v4.js';
import { defaultPod, validatePod } from '../e2e/emulator/pod-validation.js';
import { render } from '../../src/injection/index.js';
import { deepFreeze } from '../../src/config/merge.js';
import { reviewFixture } from '../support/fixtures.js';
import { ANNOTATION_VALUES, check, paths, pod, reviewOf, RUNS, setAt, STRICT } from './arbitraries.js';

const app = buildApp({ getConfig: defaultConfig, logger: pino({ level: 'silent' }), onInternalError: 'deny' });
const WEBHOOK = 'sidecar-injector.istio.io';
const INTERNAL_ERROR = /^admission webhook "[^"]+" denied the request: sidecar injection failed: /;

async function send(payload: string): Promise<{ status: number; body: Buffer; json: any }> {
  const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload });
  return { status: res.statusCode, body: res.rawPayload, json: JSON.parse(res.body) };
}

/** A 4xx Kubernetes Status with a message. */
function assertClientError(status: number, json: any, what: string): void {
  assert.ok(status >= 400 && status < 500, `status ${status} for ${what}`);
  assert.equal(json.kind, 'Status');
  assert.ok(typeof json.message === 'string' && json.message.length > 0, 'a message says what is wrong');
}

describe('fuzzing the webhook', () => {
  it('answers every random pod so the apiserver accepts it; patches apply and validate; re-injection changes nothing', async () => {
    await check(
      fc.asyncProperty(pod, fc.constantFrom<'v1' | 'v1beta1'>('v1', 'v1', 'v1beta1'), async (p, version) => {
        assert.deepEqual(validatePod(p), [], 'the generated pod is valid to begin with');
        const review = reviewOf(p, version);
        const { status, body } = await send(JSON.stringify(review));
        const outcome = decodeAnswer(status, body, review, WEBHOOK);
        assert.notEqual(outcome.kind, 'failed', outcome.kind === 'failed' ? outcome.message : '');
        // The same review again with another uid: the same answer (nothing depends on time or state).
        const replica = { ...review, request: { ...review.request, uid: `${review.request.uid}-replica` } };
        const repeated = await send(JSON.stringify(replica));
        assert.equal(repeated.status, status);
        const sameUid = repeated.json.response === undefined ? repeated.json : { ...repeated.json, response: { ...repeated.json.response, uid: review.request.uid } };
        assert.deepEqual(sameUid, JSON.parse(body.toString()), 'a replica gets the same answer');
        if (outcome.kind === 'denied') {
          // Our internal-error answer is still one the apiserver accepts; strict runs (bench/fuzz.mjs)
          // count it as a failure, since a valid pod should only ever be denied for its annotations.
          if (!STRICT && INTERNAL_ERROR.test(outcome.message)) return;
          assert.equal(outcome.code, 400, `only invalid annotations deny: ${outcome.message}`);
          assert.match(outcome.message, /annotation|template/);
          return;
        }
        if (outcome.kind !== 'patched') return;
        const patched = defaultPod(applyJsonPatchV4(p, outcome.ops));
        assert.deepEqual(validatePod(patched), []);
        const again = reviewOf(patched, version);
        again.request.uid = 'a-new-uid-for-the-reinvocation';
        const second = await send(JSON.stringify(again));
        const secondOutcome = decodeAnswer(second.status, second.body, again, WEBHOOK);
        assert.equal(secondOutcome.kind, 'allowed', `re-injection changes nothing: ${JSON.stringify(secondOutcome).slice(0, 400)}`);
      }),
      RUNS,
    );
  });

  it('renders without changing the pod it is given, first injection and re-injection', async () => {
    const config = defaultConfig();
    /** The rendered pod, or the message of the error rendering throws. */
    const attempt = (p: unknown) => {
      try {
        return { pod: render({ pod: p as any, namespace: 'demo' }, config) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    await check(
      fc.asyncProperty(pod, async (p) => {
        const original = structuredClone(p);
        const free = attempt(p);
        assert.deepEqual(p, original, 'render changed its input');
        // A frozen pod makes any change in place throw: the answer must be the same.
        assert.deepEqual(attempt(deepFreeze(structuredClone(p))), free);
        if (free.pod === undefined) return;
        const injected = defaultPod(structuredClone(free.pod));
        const again = attempt(deepFreeze(structuredClone(injected)));
        assert.deepEqual(again, attempt(injected));
        assert.deepEqual(injected, defaultPod(structuredClone(free.pod)), 'render changed its input on re-injection');
      }),
      RUNS,
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
    await check(
      fc.asyncProperty(body, async (payload) => {
        const { status, json } = await send(payload);
        if (status === 200) assert.equal(json.kind, 'AdmissionReview');
        else assertClientError(status, json, payload.slice(0, 80));
      }),
      RUNS * 3,
    );
  });

  it('never fails on a wrong type anywhere in a review: a review the apiserver accepts, or a 4xx with a message', async () => {
    const wrong = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}), fc.jsonValue({ maxDepth: 2 }));
    const broken = pod.chain((p) => {
      const review = reviewOf(p);
      const all = paths(review).filter((path) => path.length > 0);
      return fc.tuple(fc.constant(review), fc.constantFrom(...all), wrong);
    });
    await check(
      fc.asyncProperty(broken, async ([review, path, value]) => {
        const mutated: any = setAt(review, path, value);
        const { status, body, json } = await send(JSON.stringify(mutated));
        if (status !== 200) return assertClientError(status, json, `${path.join('.')} = ${JSON.stringify(value)}`);
        if (typeof mutated?.request?.uid !== 'string') return;
        const outcome = decodeAnswer(status, body, mutated, WEBHOOK);
        assert.notEqual(outcome.kind, 'failed', outcome.kind === 'failed' ? outcome.message : '');
        // A type the apiserver's typed decoding never lets through is refused with a 400 naming it
        // when injection trips on it, never with our internal-error answer (a 500 denial here).
        if (outcome.kind === 'denied') assert.ok(outcome.code === 400 && !INTERNAL_ERROR.test(outcome.message), outcome.message);
      }),
      RUNS * 2,
    );
  });

  it('puts any container name into a custom template safely: a valid answer or a 400 naming the container', async () => {
    const template = 'spec:\n  containers:\n  {{- range $i, $c := .Spec.Containers }}\n  - name: {{ $c.Name }}\n    env:\n    - name: EXTRA\n      value: "1"\n  {{- end }}\n';
    const config = buildConfig({ injector: { templates: { extra: template } } });
    const withTemplate = buildApp({ getConfig: () => config, logger: pino({ level: 'silent' }), onInternalError: 'deny' });
    const name = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), fc.string({ maxLength: 40 }), fc.constantFrom('a\n    privileged: true', 'x: {y: 1}', '[[[[', '{{ .Values }}', '- b', 'UPPER', 'a'.repeat(64), '0', 'null', '1e3', 'true'), fc.nat({ max: 200_000 }).map((n) => '['.repeat(n + 1)));
    await check(
      fc.asyncProperty(fc.uniqueArray(name, { minLength: 1, maxLength: 3 }), async (names) => {
        const review = reviewFixture('pod-plain');
        review.request.object.metadata.annotations = { 'inject.istio.io/templates': 'sidecar,extra' };
        review.request.object.spec.containers = names.map((n) => ({ name: n, image: 'nginx' }));
        const res = await withTemplate.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(review) });
        const outcome = decodeAnswer(res.statusCode, res.rawPayload, review, WEBHOOK);
        assert.notEqual(outcome.kind, 'failed', outcome.kind === 'failed' ? outcome.message : '');
        const valid = names.every((n) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
        if (!valid) {
          assert.equal(outcome.kind, 'denied');
          if (outcome.kind === 'denied') assert.match(outcome.message, /is not a DNS-1123 label .*template 'extra'/);
          return;
        }
        assert.equal(outcome.kind, 'patched');
        if (outcome.kind !== 'patched') return;
        const patched = applyJsonPatchV4(review.request.object, outcome.ops);
        for (const n of names) assert.deepEqual(patched.spec.containers.find((c: any) => c.name === n).env, [{ name: 'EXTRA', value: '1' }]);
      }),
      RUNS,
    );
  });

  it('answers huge annotation values in bounded time', async () => {
    // Long runs of what the annotation parsers look for: digits, separators, CIDR-like text.
    // and what slows a YAML parser down or overflows its stack: quotes, tags, anchors, aliases, nesting.
    const filler = fc.constantFrom('1', '1,', '0.', '/', ' ', 'a', ':', '{', '[', '-', '"', '!a ', '&a ', '*a ', '- ', '? ', 'a: ', '[{');
    const huge = fc.tuple(fc.constantFrom(...Object.keys(ANNOTATION_VALUES)), filler, fc.integer({ min: 10_000, max: 200_000 }));
    await check(
      fc.asyncProperty(huge, async ([key, unit, repeat]) => {
        const review = reviewFixture('pod-plain');
        review.request.object.metadata.annotations = { [key]: unit.repeat(Math.ceil(repeat / unit.length)) };
        const started = Date.now();
        const { status, body } = await send(JSON.stringify(review));
        assert.ok(Date.now() - started < 2000, `${key} with ${repeat} × '${unit}' took ${Date.now() - started} ms`);
        const outcome = decodeAnswer(status, body, review, WEBHOOK);
        assert.notEqual(outcome.kind, 'failed');
        // kubectl prints the message: the value is quoted, not repeated whole.
        if (outcome.kind === 'denied') assert.ok(outcome.message.length < 2048, `a ${outcome.message.length}-character message`);
      }),
      Math.max(10, Math.floor(RUNS / 3)),
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
    huge.request.object.spec.containers[0].env = [{ name: 'NOTE', value: 'x'.repeat(4 * 1024 * 1024) }];
    const hugeAnswer = await send(JSON.stringify(huge));
    assert.equal(hugeAnswer.status, 200);
    assert.equal(hugeAnswer.json.response.allowed, true);
    // Annotations beyond the apiserver's 256 KiB: refused, as the apiserver would refuse the pod.
    const annotated = reviewFixture('pod-plain');
    annotated.request.object.metadata.annotations = { note: 'x'.repeat(4 * 1024 * 1024) };
    const annotatedAnswer = await send(JSON.stringify(annotated));
    assert.equal(annotatedAnswer.status, 200);
    assert.equal(annotatedAnswer.json.response.allowed, false);
    assert.equal(annotatedAnswer.json.response.status.code, 400);
    assert.match(annotatedAnswer.json.response.status.message, /^metadata\.annotations: Too long: must have at most 262144 bytes/);
  });
});
