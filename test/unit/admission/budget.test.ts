import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseGoDuration, ReviewBudget } from '../../../src/admission/budget.js';
import type { Engine } from '../../../src/admission/review.js';
import { runWithin, WatchdogTimeout } from '../../../src/admission/watchdog.js';
import { InjectorError } from '../../../src/errors.js';
import { buildApp, type AppDeps } from '../../../src/server/app.js';
import { FAKE_CONFIG, fakeEngine } from '../../support/fake-engine.js';
import { reviewFixture } from '../../support/fixtures.js';

const silent = pino({ level: 'silent' });

/** Busy for `ms` of wall time: what a slow synchronous render does to the event loop. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** The fake engine, slowed down (or stuck) when the pod is named so. */
const slowEngine: Engine = {
  decide: fakeEngine.decide,
  render: (req, cfg) => {
    const name = req.pod.metadata?.name;
    if (name === 'slow') spin(400);
    if (name === 'stuck') for (;;);
    return fakeEngine.render(req, cfg);
  },
};

function app(deps: Partial<AppDeps> = {}) {
  return buildApp({ getConfig: () => FAKE_CONFIG, logger: silent, engine: slowEngine, ...deps });
}

function review(name: string): string {
  const r = reviewFixture('pod-plain');
  r.request.object.metadata.name = name;
  r.request.name = name;
  return JSON.stringify(r);
}

async function post(instance: ReturnType<typeof app>, body: string, url = '/inject?timeout=1s') {
  const started = performance.now();
  const res = await instance.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: body });
  return { ms: performance.now() - started, status: res.statusCode, response: res.json().response };
}

describe("the apiserver's timeout, read as Go writes durations", () => {
  const cases: Array<[string, number | undefined]> = [
    ['10s', 10], ['9.5s', 9.5], ['1m0s', 60], ['850ms', 0.85], ['1h', 3600], ['1h30m', 5400], ['.5s', 0.5], ['5.s', 5],
    ['1500µs', 0.0015], ['1500μs', 0.0015], ['2000us', 0.002], ['-1s', -1], ['0', 0],
    ['', undefined], ['10', undefined], ['s', undefined], ['1x', undefined], ['.s', undefined], ['1s ', undefined], [`${'1'.repeat(100)}s`, undefined],
  ];
  for (const [text, seconds] of cases) {
    it(`'${text.slice(0, 20)}' is ${seconds === undefined ? 'not a duration' : `${seconds} s`}`, () => {
      const parsed = parseGoDuration(text);
      if (seconds === undefined) assert.equal(parsed, undefined);
      else assert.ok(parsed !== undefined && Math.abs(parsed - seconds) < 1e-9, `${parsed}`);
    });
  }

  it('gives a review its share of it: 10 s when absent or unreadable, at most 30 s', () => {
    assert.equal(ReviewBudget.of(0, '10s', 0.5).ms, 5000);
    assert.equal(ReviewBudget.of(0, '2s', 0.25).ms, 500);
    assert.equal(ReviewBudget.of(0, undefined, 0.5).ms, 5000);
    assert.equal(ReviewBudget.of(0, 'soon', 0.5).ms, 5000);
    assert.equal(ReviewBudget.of(0, '0s', 0.5).ms, 5000);
    assert.equal(ReviewBudget.of(0, ['1s', '2s'], 0.5).ms, 5000);
    assert.equal(ReviewBudget.of(0, '1h', 1).ms, 30_000);
  });

  it('ends a review at a checkpoint once the budget is spent, saying why', () => {
    const budget = ReviewBudget.of(performance.now() - 600, '1s', 0.5);
    assert.throws(
      () => budget.checkpoint('rendering'),
      (err: unknown) => err instanceof InjectorError && err.code === 'REVIEW_BUDGET_EXCEEDED' && /longer than its budget of 500 ms \(0\.5 of the apiserver's timeout of 1s; \d+ ms spent, stopped before rendering\)/.test(err.message),
    );
    ReviewBudget.of(performance.now(), '1s', 0.5).checkpoint('rendering');
  });
});

describe('the watchdog', () => {
  it('returns what the function returns, and lets its errors through', () => {
    assert.equal(runWithin(1000, () => 42), 42);
    assert.throws(() => runWithin(1000, () => { throw new InjectorError('INVALID_POD', 'bad'); }), /bad/);
  });

  it('interrupts a loop that never yields, and a regular expression that backtracks for minutes', () => {
    let started = performance.now();
    assert.throws(() => runWithin(100, () => { for (;;); }), WatchdogTimeout);
    assert.ok(performance.now() - started < 2000);
    started = performance.now();
    assert.throws(() => runWithin(100, () => /^(a|a)*b$/.test('a'.repeat(64))), WatchdogTimeout);
    assert.ok(performance.now() - started < 2000);
  });
});

describe('a review over its budget is answered anyway', () => {
  it('by --on-internal-error allow: admitted without a sidecar, with a warning saying why', async () => {
    const { status, response } = await post(app({ reviewBudgetShare: 0.1 }), review('slow'));
    assert.equal(status, 200);
    assert.equal(response.allowed, true);
    assert.equal(response.patch, undefined);
    assert.match(response.warnings[0], /^sidecar-injector: pod admitted WITHOUT a sidecar because injection failed: the review took longer than its budget of 100 ms \(0\.1 of the apiserver's timeout of 1s; \d+ ms spent, stopped before computing the patch\)/);
    assert.deepEqual(response.auditAnnotations, { decision: 'error', reason: 'REVIEW_BUDGET_EXCEEDED' });
  });

  it('by --on-internal-error deny: refused with 500', async () => {
    const { response } = await post(app({ reviewBudgetShare: 0.1, onInternalError: 'deny' }), review('slow'));
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 500);
    assert.match(response.status.message, /^sidecar injection failed: the review took longer than its budget of 100 ms/);
  });

  it('takes its share of the timeout the apiserver sends', async () => {
    const instance = app({ reviewBudgetShare: 0.5 });
    assert.equal((await post(instance, review('slow'), '/inject?timeout=10s')).response.patch !== undefined, true, '400 ms is within 5 s');
    assert.match((await post(instance, review('slow'), '/inject?timeout=500ms')).response.warnings[0], /budget of 250 ms \(0\.5 of the apiserver's timeout of 0\.5s/);
  });

  it('stops a review that never ends under the watchdog, and answers it at its budget', async () => {
    const { ms, response } = await post(app({ reviewBudgetShare: 0.2, watchdogBytes: 0 }), review('stuck'));
    assert.match(response.warnings[0], /budget of 200 ms .*stopped by the watchdog/);
    assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms`);
  });

  it('watches only reviews at least --review-watchdog-bytes long', async () => {
    const body = review('slow');
    const watched = await post(app({ reviewBudgetShare: 0.1, watchdogBytes: body.length }), body);
    assert.match(watched.response.warnings[0], /stopped by the watchdog/);
    const unwatched = await post(app({ reviewBudgetShare: 0.1, watchdogBytes: body.length + 1 }), body);
    assert.match(unwatched.response.warnings[0], /stopped before computing the patch/);
  });

  it('never holds up the reviews behind it longer than its budget', async () => {
    const instance = app({ reviewBudgetShare: 0.2, watchdogBytes: 0 });
    const started = performance.now();
    const [stuck, plain] = await Promise.all([post(instance, review('stuck')), post(instance, review('web'))]);
    const plainDoneAfter = performance.now() - started;
    assert.match(stuck.response.warnings[0], /stopped by the watchdog/);
    assert.notEqual(plain.response.patch, undefined, 'the plain pod behind it is injected');
    assert.ok(plainDoneAfter < 1500, `the plain review was answered after ${Math.round(plainDoneAfter)} ms (budget 200 ms)`);
  });
});
