/**
 * A rotated serving certificate waits until the published caBundle has trusted it for a moment;
 * the first one, or one replacing an expired certificate, is used at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { CertificatePair } from '../../../src/certs/file-source.js';
import { TrustGate } from '../../../src/certs/trust-gate.js';

const silent = pino({ level: 'silent' });
const pair = (name: string, notAfter = Date.now() + 86_400_000): CertificatePair => ({ cert: Buffer.from(name), key: Buffer.from(`${name}-key`), notAfter: new Date(notAfter) });

function gate(settleMs = 1000) {
  let now = 1_000_000;
  const trusted = new Set<string>();
  const applied: string[] = [];
  const g = new TrustGate({ apply: (p) => applied.push(p.cert.toString()), trusted: (cert) => trusted.has(cert.toString()), logger: silent, settleMs, now: () => now });
  return { g, trusted, applied, advance: (ms: number) => (now += ms) };
}

describe('TrustGate', () => {
  it('uses the first pair at once, trusted or not: there is nothing else to serve', () => {
    const { g, applied } = gate();
    g.offer(pair('first'));
    assert.deepEqual(applied, ['first']);
    assert.equal(g.waiting(), undefined);
  });

  it('holds a rotated pair until the caBundle has trusted it for the settle time', () => {
    const { g, trusted, applied, advance } = gate();
    g.offer(pair('first'));
    g.offer(pair('second'));
    assert.deepEqual(applied, ['first']);
    assert.equal(g.waiting()?.cert.toString(), 'second');

    trusted.add('second');
    assert.equal(g.recheck(), false, 'trusted only just now');
    advance(999);
    assert.equal(g.recheck(), false);
    advance(1);
    assert.equal(g.recheck(), true);
    assert.deepEqual(applied, ['first', 'second']);
    assert.equal(g.inService()?.cert.toString(), 'second');
  });

  it('starts the settle time again when the caBundle stopped trusting the held pair meanwhile', () => {
    const { g, trusted, applied, advance } = gate();
    g.offer(pair('first'));
    g.offer(pair('second'));
    trusted.add('second');
    g.recheck();
    advance(600);
    trusted.delete('second');
    g.recheck();
    trusted.add('second');
    g.recheck();
    advance(600);
    assert.equal(g.recheck(), false);
    advance(400);
    assert.equal(g.recheck(), true);
    assert.deepEqual(applied, ['first', 'second']);
  });

  it('applies a trusted rotation by itself once the settle time is over', async () => {
    const trusted = new Set(['first', 'second']);
    const applied: string[] = [];
    const g = new TrustGate({ apply: (p) => applied.push(p.cert.toString()), trusted: (cert) => trusted.has(cert.toString()), logger: silent, settleMs: 20 });
    g.offer(pair('first'));
    g.offer(pair('second'));
    assert.deepEqual(applied, ['first']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(applied, ['first', 'second']);
    g.stop();
  });

  it('keeps only the newest held pair', () => {
    const { g, trusted, applied, advance } = gate(0);
    g.offer(pair('first'));
    g.offer(pair('second'));
    g.offer(pair('third'));
    trusted.add('second');
    trusted.add('third');
    advance(1);
    g.recheck();
    assert.deepEqual(applied, ['first', 'third']);
  });

  it('replaces an expired certificate even with an untrusted one: the expired one fails anyway', () => {
    const { g, applied, advance } = gate();
    g.offer(pair('first', 1_000_500));
    g.offer(pair('second'));
    assert.deepEqual(applied, ['first']);
    advance(500);
    g.recheck();
    assert.deepEqual(applied, ['first', 'second']);
  });
});
