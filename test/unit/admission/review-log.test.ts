import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { decodeReview } from '../../../src/admission/index.js';
import { handleReview } from '../../../src/admission/review.js';
import { defaultConfig } from '../../../src/config/index.js';
import * as injection from '../../../src/injection/index.js';
import { reviewFixture } from '../../support/fixtures.js';

const IDENTITY = ['uid', 'namespace', 'pod', 'operation', 'dryRun'];

/** Reviews the fixture with a logger writing to an array of raw lines. */
function logsOf(name: string, engine?: typeof injection) {
  const lines: string[] = [];
  const logger = pino({ level: 'info', base: { service: 'sidecar-injector' }, timestamp: false }, { write: (line: string) => void lines.push(line) });
  const context = { config: defaultConfig(), logger, onInternalError: 'allow' as const, ...(engine ? { engine } : {}) };
  const { outcome } = handleReview(decodeReview(reviewFixture(name)), context);
  return { lines, parsed: lines.map((line) => JSON.parse(line)), outcome, logger };
}

describe("a review's log lines", () => {
  it("carry the review's identity first, exactly as a child logger's bindings would be written", () => {
    const { lines, parsed, outcome, logger } = logsOf('pod-plain');
    assert.deepEqual(parsed.map((l) => l.msg), ['review']);
    const line = parsed[0];
    assert.deepEqual(Object.keys(line).slice(0, 7), ['level', 'service', ...IDENTITY]);
    assert.equal(line.uid, outcome.uid);
    assert.equal(line.pod, outcome.pod);
    assert.equal(line.decision, 'injected');
    // The same line through a child logger carrying the identity, byte for byte but the duration.
    const childLines: string[] = [];
    const reference = pino({ level: 'info', base: { service: 'sidecar-injector' }, timestamp: false }, { write: (l: string) => void childLines.push(l) });
    const identity = Object.fromEntries(IDENTITY.map((key) => [key, line[key]]));
    reference.child(identity).info({ apiVersion: line.apiVersion, decision: line.decision, reason: line.reason, patchOps: line.patchOps, durationMs: line.durationMs }, 'review');
    assert.equal(lines[0], childLines[0]);
    assert.ok(logger.isLevelEnabled('info'));
  });

  it('carry it on the failure line and the closing line when injection fails', () => {
    const failing = { ...injection, render: () => { throw new Error('boom'); } } as typeof injection;
    const { parsed } = logsOf('pod-plain', failing);
    assert.deepEqual(parsed.map((l) => l.msg), ['injection failed', 'review']);
    for (const line of parsed) {
      assert.deepEqual(Object.keys(line).slice(2, 7), IDENTITY, line.msg);
      assert.equal(line.uid, parsed[0].uid);
    }
    assert.equal(parsed[0].err.message, 'boom');
    assert.equal(parsed[1].decision, 'error');
  });

  it('are not written below the logger level', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    handleReview(decodeReview(reviewFixture('pod-plain')), { config: defaultConfig(), logger, onInternalError: 'allow' });
    handleReview(decodeReview(reviewFixture('pod-bad-annotation')), { config: defaultConfig(), logger, onInternalError: 'allow' });
    assert.deepEqual(lines.map((l) => JSON.parse(l).decision), ['denied']);
  });
});
