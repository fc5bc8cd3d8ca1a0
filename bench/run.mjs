#!/usr/bin/env node
// npm run bench: our server against a bare HTTPS ceiling in one run, the cost of a review
// against pod size, and memory after 100,000 reviews. Loopback only; every run is bounded.
// Options: --seconds N (per load run, default 10), --reviews N (memory run, default 100000),
//          --out DIR (results JSON and SVG; default bench/results)
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { decodeReview } from '../dist/admission/decode.js';
import { handleReview } from '../dist/admission/review.js';
import { ensureDevCertificates } from '../dist/certs/dev.js';
import { defaultConfig } from '../dist/config/index.js';
import { load, post, reviewWithEnv, rssMiB, startChild, stopChild } from './lib.mjs';
import { scalingSvg } from './plot.mjs';

const { values: opts } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, reviews: { type: 'string', default: '100000' }, out: { type: 'string', default: 'bench/results' } } });
const seconds = Number(opts.seconds);
mkdirSync(opts.out, { recursive: true });

const certsDir = mkdtempSync(join(tmpdir(), 'bench-certs-'));
const certs = await ensureDevCertificates(certsDir);
const ca = readFileSync(certs.caFile);
const plain = JSON.parse(readFileSync('test/fixtures/reviews/pod-plain.json', 'utf8'));
const body = JSON.stringify(plain);

// --- Throughput and latency: ours vs the ceiling, same payload, 16 keep-alive connections.
const ours = await startChild(['dist/cli.js', 'serve', '--port', '0', '--certs-dir', certsDir, '--log-level', 'info'], (l) => l.includes('"listening"'));
const oursUrl = `https://localhost:${ours.info.port}/inject`;
const canned = await post(oursUrl, ca, body);
const responseFile = join(certsDir, 'response.json');
writeFileSync(responseFile, canned);
const base = await startChild(['bench/baseline-server.mjs', certs.certFile, certs.keyFile, responseFile], (l) => l.startsWith('{"port"'));
const baseUrl = `https://localhost:${base.info.port}/inject`;

console.error(`warming up (${Math.min(3, seconds)} s each)...`);
await load({ url: baseUrl, ca, body, duration: Math.min(3, seconds) });
await load({ url: oursUrl, ca, body, duration: Math.min(3, seconds) });
console.error(`measuring (${seconds} s each, 16 connections)...`);
const ceiling = await load({ url: baseUrl, ca, body, duration: seconds });
const server = await load({ url: oursUrl, ca, body, duration: seconds });
await stopChild(base.child);

// --- Memory: RSS of our server after 100,000 reviews.
const rssBefore = rssMiB(ours.child.pid);
const memoryRun = await load({ url: oursUrl, ca, body, amount: Number(opts.reviews) });
const rssAfter = rssMiB(ours.child.pid);
await stopChild(ours.child);

// --- Scaling: the review pipeline (decode, decide, render, diff, verify, encode) in process.
const logger = pino({ level: 'silent' });
const config = defaultConfig();
const sizes = [1, 10, 100, 1000, 2000, 5000, 10000, 20000];
const scaling = [];
for (const envCount of sizes) {
  const text = JSON.stringify(reviewWithEnv(plain, envCount));
  const iterations = Math.max(20, Math.min(500, Math.floor(2_000_000 / text.length)));
  const times = [];
  for (let i = 0; i < iterations + 5; i++) {
    const started = process.hrtime.bigint();
    const decoded = decodeReview(JSON.parse(text));
    const { review } = handleReview(decoded, { config, logger, onInternalError: 'deny' });
    JSON.stringify(review);
    if (i >= 5) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  scaling.push({ envCount, bytes: text.length, medianMs: times[Math.floor(times.length / 2)] });
}

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  throughput: { seconds, connections: 16, ceiling, server, ratio: server.rps / ceiling.rps, p50Ratio: server.p50 / ceiling.p50 },
  memory: { reviews: memoryRun.total, errors: memoryRun.errors, rssBeforeMiB: rssBefore, rssAfterMiB: rssAfter },
  scaling,
};
writeFileSync(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(opts.out, 'scaling.svg'), scalingSvg(scaling));

const f = (n, d = 2) => Number(n).toFixed(d);
console.log(`\n## Throughput and latency (${seconds} s, 16 connections, keep-alive, pod-plain review)\n`);
console.log('| server | requests/s | p50 ms | p99 ms | errors |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| bare HTTPS ceiling | ${f(ceiling.rps, 0)} | ${ceiling.p50} | ${ceiling.p99} | ${ceiling.errors} |`);
console.log(`| sidecar-injector | ${f(server.rps, 0)} | ${server.p50} | ${server.p99} | ${server.errors} |`);
console.log(`\nthroughput ratio ${f(results.throughput.ratio)} (target >= 0.70)`);
console.log(`\n## Memory\n\nRSS ${f(rssBefore, 1)} MiB after warm-up, ${f(rssAfter, 1)} MiB after ${memoryRun.total} more reviews (${memoryRun.errors} errors)`);
console.log('\n## Cost per review against pod size (in process, median)\n');
console.log('| env vars | body bytes | ms per review | ms per 100 KB |');
console.log('| ---: | ---: | ---: | ---: |');
for (const s of scaling) console.log(`| ${s.envCount} | ${s.bytes} | ${f(s.medianMs, 3)} | ${f((s.medianMs / s.bytes) * 100_000, 3)} |`);
console.log(`\nresults: ${join(opts.out, 'results.json')}, plot: ${join(opts.out, 'scaling.svg')}`);
