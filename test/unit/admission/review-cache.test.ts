import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { decodeReview, serializeReview } from '../../../src/admission/index.js';
import { handleReview, type ReviewContext } from '../../../src/admission/review.js';
import { ReviewCache, type CachedInjection } from '../../../src/admission/review-cache.js';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import * as injection from '../../../src/injection/index.js';
import { reviewFixture } from '../../support/fixtures.js';

const silent = pino({ level: 'silent' });
const config = defaultConfig();

function run(body: any, ctx: Partial<ReviewContext> = {}) {
  return handleReview(decodeReview(body), { config, logger: silent, onInternalError: 'deny', ...ctx });
}

function withUid(name: string, uid: string): any {
  const body = reviewFixture(name);
  body.request.uid = uid;
  return body;
}

const answer = (patch: string): CachedInjection => ({ patch, patchOps: 1, reason: 'r', warnings: [], auditAnnotations: {} });

describe('review cache', () => {
  it('answers a second identical pod from the cache with exactly the answer a fresh render gives', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    const first = run(withUid('pod-plain', 'u-1'), { cache });
    const second = run(withUid('pod-plain', 'u-2'), { cache });
    const uncached = run(withUid('pod-plain', 'u-2'));
    assert.equal(first.outcome.cache, 'miss');
    assert.equal(second.outcome.cache, 'hit');
    assert.equal(uncached.outcome.cache, undefined);
    assert.equal(second.review.response!.uid, 'u-2');
    assert.ok(second.review.response!.patch !== undefined && second.review.response!.patch.length > 100);
    assert.deepEqual(second.review, uncached.review);
    assert.deepEqual(second.outcome, { ...uncached.outcome, cache: 'hit', durationSeconds: second.outcome.durationSeconds });
    assert.deepEqual(cache.stats(), { hits: 1, misses: 1, entries: 1, bytes: cache.stats().bytes });
  });

  it('misses when anything rendering depends on differs: pod, namespace, cluster, network, configuration', () => {
    const cache = new ReviewCache({ maxEntries: 64 });
    const base = () => withUid('pod-plain', 'u');
    run(base(), { cache });
    const label = base();
    label.request.object.metadata.labels = { ...label.request.object.metadata.labels, version: 'v2' };
    const annotated = base();
    annotated.request.object.metadata.annotations = { 'sidecar.istio.io/proxyCPU': '300m' };
    const namespaced = base();
    namespaced.request.namespace = 'elsewhere';
    const cases: Array<[string, any, Partial<ReviewContext>]> = [
      ['label', label, {}],
      ['annotation', annotated, {}],
      ['namespace', namespaced, {}],
      ['cluster', base(), { clusterId: 'east' }],
      ['network', base(), { network: 'net-2' }],
      ['configuration (reloaded)', base(), { config: buildConfig({}) }],
    ];
    for (const [what, body, extra] of cases) {
      const cached = run(body, { cache, ...extra });
      const fresh = run(body, extra);
      assert.equal(cached.outcome.cache, 'miss', what);
      assert.deepEqual(cached.review, fresh.review, what);
    }
    // The annotation changes the proxy's CPU request: a hit there would have been a wrong sidecar.
    const cpu = (review: any) => JSON.parse(Buffer.from(review.response.patch, 'base64').toString()).find((op: any) => op.path === '/spec/containers/1').value.resources.requests.cpu;
    assert.equal(cpu(run(annotated, { cache }).review), '300m');
    assert.equal(cpu(run(base(), { cache }).review), '100m');
  });

  it('keys on the body as received less its uid, when it has the body', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    const text = (uid: string, body = withUid('pod-plain', uid)) => JSON.stringify(body);
    const viaBody = (raw: string) => run(JSON.parse(raw), { cache, rawBody: raw });
    assert.equal(viaBody(text('u-1')).outcome.cache, 'miss');
    const replica = viaBody(text('u-2'));
    assert.equal(replica.outcome.cache, 'hit');
    assert.deepEqual(replica.review, run(withUid('pod-plain', 'u-2')).review);
    // The same pod written another way (indented) is another text: rendered again, same answer.
    const indented = JSON.stringify(withUid('pod-plain', 'u-3'), null, 2);
    assert.equal(viaBody(indented).outcome.cache, 'miss');
    // Anything else that differs, even outside the pod, is another key.
    const other = withUid('pod-plain', 'u-4');
    other.request.object.metadata.labels.version = 'v9';
    const changed = viaBody(JSON.stringify(other));
    assert.equal(changed.outcome.cache, 'miss');
    assert.deepEqual(changed.review, run(other).review);
  });

  it('empties itself when the configuration changes', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    run(withUid('pod-plain', 'a'), { cache });
    assert.equal(cache.stats().entries, 1);
    const reloaded = buildConfig({});
    assert.equal(run(withUid('pod-plain', 'b'), { cache, config: reloaded }).outcome.cache, 'miss');
    assert.equal(run(withUid('pod-plain', 'c'), { cache, config: reloaded }).outcome.cache, 'hit');
    assert.equal(cache.stats().entries, 1);
  });

  it('keeps only injections: skips, denials and failures are computed every time', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    for (let i = 0; i < 2; i++) {
      assert.equal(run(withUid('pod-opted-out', `o${i}`), { cache }).outcome.cache, undefined);
      const denied = run(withUid('pod-bad-annotation', `d${i}`), { cache });
      assert.equal(denied.outcome.decision, 'denied');
      assert.equal(denied.outcome.cache, undefined);
    }
    assert.equal(cache.stats().entries, 0);
  });

  it('is not consulted with a substitute engine', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    const engine = { decide: injection.decide, render: injection.render };
    run(withUid('pod-plain', 'a'), { cache, engine });
    assert.equal(run(withUid('pod-plain', 'b'), { cache, engine }).outcome.cache, undefined);
    assert.deepEqual(cache.stats(), { hits: 0, misses: 0, entries: 0, bytes: 0 });
  });

  it('keeps nothing when disabled (size 0)', () => {
    const cache = new ReviewCache({ maxEntries: 0 });
    run(withUid('pod-plain', 'a'), { cache });
    assert.equal(run(withUid('pod-plain', 'b'), { cache }).outcome.cache, undefined);
    assert.equal(cache.stats().entries, 0);
  });

  it('drops the least recently used answer beyond its entries, and answers beyond its bytes', () => {
    const cache = new ReviewCache({ maxEntries: 2, maxBytes: 4096 });
    cache.set('a', answer('A'));
    cache.set('b', answer('B'));
    assert.equal(cache.get('a')?.patch, 'A'); // a is now the most recently used
    cache.set('c', answer('C'));
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.patch, 'A');
    assert.equal(cache.get('c')?.patch, 'C');
    cache.set('big', answer('x'.repeat(2000))); // over a quarter of maxBytes: not kept
    assert.equal(cache.get('big'), undefined);
    const bytes = new ReviewCache({ maxEntries: 100, maxBytes: 4096 });
    for (const key of ['d', 'e', 'f', 'g', 'h']) bytes.set(key, answer(key.repeat(700)));
    assert.ok(bytes.stats().bytes <= 4096);
    assert.equal(bytes.stats().entries, 4);
    assert.equal(bytes.get('d'), undefined);
    assert.equal(bytes.get('h')?.patch, 'h'.repeat(700));
  });

  it('hands out frozen answers, so no review can alter what the next one gets', () => {
    const cache = new ReviewCache({ maxEntries: 2 });
    const warnings = ['w'];
    cache.set('k', { ...answer('P'), warnings });
    warnings.push('added later');
    const kept = cache.get('k')!;
    assert.deepEqual(kept.warnings, ['w']);
    assert.throws(() => (kept.warnings as string[]).push('x'));
    assert.throws(() => ((kept.auditAnnotations as Record<string, string>).reason = 'x'));
  });

  it('gives no key for a pod nested too deeply to serialize: such a review is rendered, not cached', () => {
    const cache = new ReviewCache({ maxEntries: 8 });
    let deep: any = {};
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    const circular = { config, logger: silent };
    assert.equal(cache.key(circular, { namespace: 'n', pod: deep }), undefined);
  });
});

describe('serializeReview', () => {
  it('gives the same JSON as JSON.stringify, for answers with and without a patch', () => {
    for (const name of ['pod-plain', 'pod-opted-out', 'pod-bad-annotation', 'service-create', 'pod-v1beta1']) {
      const { review } = run(withUid(name, 'uid-"quoted"\u2028'));
      assert.deepEqual(JSON.parse(serializeReview(review)), JSON.parse(JSON.stringify(review)), name);
    }
  });
});
