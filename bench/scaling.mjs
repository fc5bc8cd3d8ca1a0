#!/usr/bin/env node
// The cost of one review against pod size, in process: JSON.parse of the body, then the same
// pipeline the route runs (decode, decide, render, diff, verify, respond) and the answer's JSON
// text, written as the route writes it (serializeReview). Run by run.mjs in a child of its own
// with --expose-gc, so the load generator's heap does not interfere; prints one JSON document on
// stdout.
// Usage: node --expose-gc bench/scaling.mjs [--budget-mb N] [--rounds N] [--sizes-only]
//   --rounds: interleaved rounds (default 9); each body's figure is the median of its rounds'
//             medians, so a burst of other load must cover most rounds to move it
//   --sizes-only: only the bodies of 1 KB to 1 MB in the three shapes (no environment-variable series)
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { decodeReview } from '../dist/admission/decode.js';
import { serializeReview } from '../dist/admission/respond.js';
import { handleReview } from '../dist/admission/review.js';
import { defaultConfig } from '../dist/config/index.js';
import { median } from './lib.mjs';
import { fixture, reviewOfSize, reviewWithEnv, SHAPE_NAMES } from './pods.mjs';

const { values: opts } = parseArgs({ options: { 'budget-mb': { type: 'string', default: '40' }, rounds: { type: 'string', default: '9' }, 'sizes-only': { type: 'boolean', default: false } } });
const budget = Number(opts['budget-mb']) * 1024 * 1024;
const logger = pino({ level: 'silent' });
const config = defaultConfig();
const ctx = { config, logger, onInternalError: 'deny' };

/** One review of `text`: wall-clock and CPU time in ms (all threads, garbage collection included). */
function reviewOnce(text) {
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { review, outcome } = handleReview(decodeReview(JSON.parse(text)), ctx);
  serializeReview(review);
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpuStart);
  return { wall, cpu: (used.user + used.system) / 1000, decision: outcome.decision };
}

const ROUNDS = Number(opts.rounds);

/**
 * Times every body in ROUNDS interleaved rounds (each round visits every body in turn), so a burst
 * of other load on the machine lands on one round of several sizes rather than on all the
 * measurements of one size. Per body: the median over rounds of each round's median, for CPU time
 * (which does not count the time other processes hold the core) and wall-clock time, and the 90th
 * percentile of all wall-clock samples.
 */
function timeReviews(texts) {
  const state = texts.map((text) => ({
    text,
    // Enough iterations for a stable median, bounded by the bytes processed.
    iterations: Math.max(ROUNDS * 3, Math.min(400, Math.floor(budget / text.length))),
    wallByRound: [],
    cpuByRound: [],
    walls: [],
    decision: '',
  }));
  for (const body of state) for (let i = 0; i < 3; i++) reviewOnce(body.text); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const body of state) {
      globalThis.gc?.();
      const wall = [];
      const cpu = [];
      for (let i = 0; i < Math.ceil(body.iterations / ROUNDS); i++) {
        const sample = reviewOnce(body.text);
        wall.push(sample.wall);
        cpu.push(sample.cpu);
        body.decision = sample.decision;
      }
      body.wallByRound.push(median(wall));
      body.cpuByRound.push(median(cpu));
      body.walls.push(...wall);
    }
  }
  return state.map((body) => {
    const walls = [...body.walls].sort((a, b) => a - b);
    return { medianMs: median(body.wallByRound), p90Ms: walls[Math.floor(walls.length * 0.9)], cpuMedianMs: median(body.cpuByRound), iterations: body.walls.length, decision: body.decision };
  });
}

const plain = fixture('pod-plain');
const envCounts = opts['sizes-only'] ? [] : [1, 10, 100, 1000, 2000];
const envTexts = envCounts.map((envCount) => JSON.stringify(reviewWithEnv(plain, envCount)));
const sizes = Array.from({ length: 11 }, (_, i) => 1024 * 2 ** i);
const shapeBodies = SHAPE_NAMES.flatMap((shape) =>
  sizes.map((target) => {
    const { review, units } = reviewOfSize(shape, target);
    return { shape, units, text: JSON.stringify(review) };
  }),
);
const timed = timeReviews([...envTexts, ...shapeBodies.map((b) => b.text)]);
const env = envCounts.map((envCount, i) => ({ envCount, bytes: envTexts[i].length, ...timed[i] }));
const shapes = {};
shapeBodies.forEach((body, i) => {
  (shapes[body.shape] ??= []).push({ units: body.units, bytes: body.text.length, ...timed[envTexts.length + i] });
});
process.stdout.write(`${JSON.stringify({ env, shapes })}\n`);
