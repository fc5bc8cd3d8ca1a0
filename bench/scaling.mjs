#!/usr/bin/env node
// The cost of one review against pod size, in process: JSON.parse of the body, then the same
// pipeline the route runs (decode, decide, render, diff, verify, respond) and JSON.stringify of
// the answer. Run by run.mjs in a child of its own with --expose-gc, so the load generator's heap
// does not interfere; prints one JSON document on stdout.
// Usage: node --expose-gc bench/scaling.mjs [--budget-mb N]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { decodeReview } from '../dist/admission/decode.js';
import { handleReview } from '../dist/admission/review.js';
import { defaultConfig } from '../dist/config/index.js';
import { fixture, reviewOfSize, reviewWithEnv, SHAPE_NAMES } from './pods.mjs';

const { values: opts } = parseArgs({ options: { 'budget-mb': { type: 'string', default: '40' } } });
const budget = Number(opts['budget-mb']) * 1024 * 1024;
const logger = pino({ level: 'silent' });
const config = defaultConfig();
const ctx = { config, logger, onInternalError: 'deny' };

/**
 * One body's review time in ms: median and 90th percentile of wall-clock time, and median of the
 * process's CPU time per review (all threads, garbage collection included). CPU time does not count
 * the time other processes hold the core, so it is the steadier figure on a busy machine.
 */
export function timeReview(text) {
  // Enough iterations for a stable median, bounded by the bytes processed.
  const iterations = Math.max(15, Math.min(400, Math.floor(budget / text.length)));
  globalThis.gc?.();
  const wall = [];
  const cpu = [];
  let decision = '';
  for (let i = 0; i < iterations + 5; i++) {
    const cpuStart = process.cpuUsage();
    const started = process.hrtime.bigint();
    const { review, outcome } = handleReview(decodeReview(JSON.parse(text)), ctx);
    JSON.stringify(review);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpuStart);
    if (i >= 5) {
      wall.push(ms);
      cpu.push((used.user + used.system) / 1000);
    }
    decision = outcome.decision;
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const at = (xs, q) => xs[Math.floor(xs.length * q)];
  return { medianMs: at(wall, 0.5), p90Ms: at(wall, 0.9), cpuMedianMs: at(cpu, 0.5), iterations, decision };
}

const plain = fixture('pod-plain');
const env = [1, 10, 100, 1000, 2000].map((envCount) => {
  const text = JSON.stringify(reviewWithEnv(plain, envCount));
  return { envCount, bytes: text.length, ...timeReview(text) };
});
const sizes = Array.from({ length: 11 }, (_, i) => 1024 * 2 ** i);
const shapes = {};
for (const shape of SHAPE_NAMES) {
  shapes[shape] = sizes.map((target) => {
    const { review, units } = reviewOfSize(shape, target);
    const text = JSON.stringify(review);
    return { units, bytes: text.length, ...timeReview(text) };
  });
}
process.stdout.write(`${JSON.stringify({ env, shapes })}\n`);
