#!/usr/bin/env node
// npm run bench: in one run, side by side,
//   1. throughput and latency of our server against a bare Node HTTPS server that parses the same
//      AdmissionReview and answers a canned response of the same size (the ceiling of the
//      stack), and against fastify alone answering the same canned response; same payload,
//      16 keep-alive connections;
//   2. memory: heap and RSS of our server after a full garbage collection, before and after
//      100,000 reviews;
//   3. the cost of one review against pod size (1 to 2,000 environment variables; 1 KB to 1 MB
//      bodies in three shapes), in process and over HTTPS, with an SVG plot.
// Loopback only; every run is bounded by a duration or a count.
// Options: --seconds N   per load run (default 5)
//          --rounds N    load runs per server, interleaved (default 3): the machine's other load
//                        drifts, so ratios are taken per round and their median is reported
//          --reviews N   memory run (default 100000)
//          --out DIR     results.json (default bench/results)
//          --svg FILE    the plot (default docs/benchmark-scaling.svg)
//          --quick       short runs, to check the harness (seconds 2, reviews 5000, small budgets)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDevCertificates } from '../dist/certs/dev.js';
import { gcOnSignal, growth, load, machineTicks, median, medianRatio, medianRun, memoryAfterGc, post, round, rssMiB, serialLatency, startChild, stealPercent, stopChild } from './lib.mjs';
import { fixture, reviewOfSize, reviewWithEnv } from './pods.mjs';
import { scalingSvg } from './plot.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    reviews: { type: 'string', default: '100000' },
    out: { type: 'string', default: 'bench/results' },
    svg: { type: 'string', default: 'docs/benchmark-scaling.svg' },
    quick: { type: 'boolean', default: false },
  },
});
const seconds = opts.quick ? 2 : Number(opts.seconds);
const rounds = opts.quick ? 1 : Number(opts.rounds);
const reviews = opts.quick ? 5000 : Number(opts.reviews);
const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
mkdirSync(opts.out, { recursive: true });
const loadStart = loadavg();
const ticksStart = machineTicks();

const workDir = mkdtempSync(join(tmpdir(), 'sidecar-injector-bench-'));
const certs = await ensureDevCertificates(workDir);
const ca = readFileSync(certs.caFile);

const oursArgs = ['dist/cli.js', 'serve', '--port', '0', '--certs-dir', workDir, '--monitoring-port', '0', '--log-level', 'info'];
const ours = await startChild(oursArgs, (l) => l.includes('"msg":"listening"'));
const oursUrl = `https://localhost:${ours.info.port}/inject`;

/** Starts the ceiling and the framework-only server answering `canned`. */
async function cannedServers(name, canned) {
  const file = join(workDir, `${name}-response.json`);
  writeFileSync(file, canned);
  const isPort = (l) => l.startsWith('{"port"');
  const ceiling = await startChild(['bench/baseline-server.mjs', certs.certFile, certs.keyFile, file], isPort);
  const framework = await startChild(['bench/framework-server.mjs', certs.certFile, certs.keyFile, file], isPort);
  return {
    ceiling: { child: ceiling.child, url: `https://localhost:${ceiling.info.port}/inject` },
    framework: { child: framework.child, url: `https://localhost:${framework.info.port}/inject` },
  };
}

// --- 1. Throughput and latency, for a plain pod and for a pod with 2,000 variables.
const payloads = [
  { name: 'plain pod', body: JSON.stringify(fixture('pod-plain')) },
  { name: 'pod with 2,000 env vars', body: JSON.stringify(reviewWithEnv(fixture('pod-plain'), 2000)) },
];
const throughput = [];
for (const payload of payloads) {
  const answer = await post(oursUrl, ca, payload.body);
  if (answer.status !== 200 || !JSON.parse(answer.body).response?.patch) throw new Error(`our server did not inject the ${payload.name}: ${answer.body}`);
  const others = await cannedServers(payload.name.replace(/\W+/g, '-'), answer.body);
  const targets = [
    ['ceiling', others.ceiling.url, others.ceiling.child.pid],
    ['framework', others.framework.url, others.framework.child.pid],
    ['ours', oursUrl, ours.child.pid],
  ];
  log(`${payload.name}: warming up`);
  for (const [, url] of targets) await load({ url, ca, body: payload.body, duration: Math.min(3, seconds) });
  const row = { payload: payload.name, requestBytes: payload.body.length, responseBytes: answer.body.length, rounds: [] };
  for (let round = 0; round < rounds; round++) {
    const measured = {};
    for (const [name, url, pid] of targets) {
      log(`${payload.name}: round ${round + 1}/${rounds}, measuring ${name} (${seconds} s, 16 connections)`);
      measured[name] = await load({ url, ca, body: payload.body, duration: seconds, pid });
    }
    row.rounds.push(measured);
  }
  // Per server, the median over rounds of each figure; ratios are medians of per-round ratios.
  const runsOf = (name) => row.rounds.map((r) => r[name]);
  for (const [name] of targets) row[name] = medianRun(runsOf(name));
  row.ratio = medianRatio(runsOf('ours'), runsOf('ceiling'));
  row.frameworkRatio = medianRatio(runsOf('framework'), runsOf('ceiling'));
  throughput.push(row);
  await Promise.all([stopChild(others.ceiling.child), stopChild(others.framework.child)]);
}

// --- 2. Memory: a server of its own, measured after a full garbage collection before and after
// `reviews` reviews (what stays alive, not when the collector last ran), and RSS sampled every
// second in between.
log(`memory: ${reviews} reviews`);
const plainBody = payloads[0].body;
const gcReportFile = join(workDir, 'gc-report.json');
const gc = gcOnSignal(gcReportFile);
const memoryServer = await startChild([...gc.args, ...oursArgs], (l) => l.includes('"msg":"listening"'), { env: gc.env });
const memoryUrl = `https://localhost:${memoryServer.info.port}/inject`;
const afterGc = () => memoryAfterGc(memoryServer.child, gcReportFile);
// Warm-up: code compiled, caches and pools filled.
await load({ url: memoryUrl, ca, body: plainBody, amount: Math.min(5000, reviews) });
const before = await afterGc();
const samples = [];
const sampler = setInterval(() => samples.push(rssMiB(memoryServer.child.pid)), 1000);
const memoryRun = await load({ url: memoryUrl, ca, body: plainBody, amount: reviews });
clearInterval(sampler);
const after = await afterGc();
await stopChild(memoryServer.child);
const memory = {
  reviews: memoryRun.total,
  errors: memoryRun.errors,
  heapBeforeMiB: before.heapUsedMiB,
  heapAfterMiB: after.heapUsedMiB,
  rssBeforeMiB: before.rssMiB,
  rssAfterMiB: after.rssMiB,
  rssMaxMiB: Math.max(before.rssMiB, ...samples),
};

// --- 3a. Scaling in process, in a child of its own (its heap is not the load generator's).
log('scaling in process');
const child = spawnSync(process.execPath, ['--expose-gc', 'bench/scaling.mjs', '--budget-mb', opts.quick ? '4' : '40'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
if (child.status !== 0) throw new Error(`bench/scaling.mjs failed: ${child.stderr}`);
const inProcess = JSON.parse(child.stdout);

// --- 3b. Scaling over HTTPS: serial reviews on one keep-alive connection, ours against the ceiling.
log('scaling over HTTPS');
const ceilingForScaling = await cannedServers('scaling', (await post(oursUrl, ca, plainBody)).body);
const budget = (opts.quick ? 2 : 16) * 1024 * 1024;
const iterationsFor = (bytes) => Math.max(10, Math.min(200, Math.floor(budget / bytes)));
// Interleaved rounds, as in process: every body, ours then the ceiling, once per round; per body
// the median over rounds of each round's median round trip.
const httpsRounds = opts.quick ? 1 : 3;
const httpsBodies = [
  ...[1, 10, 100, 1000, 2000].map((envCount) => ({ series: 'env', envCount, body: JSON.stringify(reviewWithEnv(fixture('pod-plain'), envCount)) })),
  ...Array.from({ length: 11 }, (_, i) => ({ series: 'bytes', body: JSON.stringify(reviewOfSize('env', 1024 * 2 ** i).review) })),
];
for (const item of httpsBodies) Object.assign(item, { ours: [], ceiling: [] });
for (let r = 0; r < httpsRounds; r++) {
  for (const item of httpsBodies) {
    const n = Math.max(5, Math.ceil(iterationsFor(item.body.length) / httpsRounds));
    item.ours.push(await serialLatency(oursUrl, ca, item.body, n));
    item.ceiling.push(await serialLatency(ceilingForScaling.ceiling.url, ca, item.body, n));
  }
}
const overHttps = { env: [], bytes: [] };
for (const item of httpsBodies) {
  const point = { bytes: item.body.length, oursMs: median(item.ours), ceilingMs: median(item.ceiling) };
  if (item.series === 'env') overHttps.env.push({ envCount: item.envCount, ...point });
  else overHttps.bytes.push(point);
}
await Promise.all([stopChild(ceilingForScaling.ceiling.child), stopChild(ceilingForScaling.framework.child), stopChild(ours.child)]);
rmSync(workDir, { recursive: true, force: true });

// --- Targets.
const scalingGrowth = Object.fromEntries(Object.entries(inProcess.shapes).map(([shape, points]) => [shape, growth(points, 'cpuMedianMs')]));
scalingGrowth['env over HTTPS'] = growth(overHttps.bytes, 'oursMs');
const env2000 = inProcess.env.find((e) => e.envCount === 2000);
const env2000Https = overHttps.env.find((e) => e.envCount === 2000);
const targets = {
  throughputRatio: { target: '>= 0.70', value: throughput[0].ratio, met: throughput[0].ratio >= 0.7 },
  env2000Ms: { target: '< 5 ms', value: env2000.cpuMedianMs, wall: env2000.medianMs, https: env2000Https.oursMs, met: env2000.cpuMedianMs < 5 && env2000Https.oursMs < 5 },
  doubling: { target: '<= 2.0 per doubling', value: Math.max(...Object.values(scalingGrowth).map((g) => g.worstDoublingRatio)), met: Object.values(scalingGrowth).every((g) => g.worstDoublingRatio <= 2) },
};

const results = {
  date: new Date().toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { nproc: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform} ${process.arch}` },
  settings: { seconds, rounds, connections: 16, reviews },
  loadAverage: { start: loadStart, end: loadavg() },
  stealPercent: round(stealPercent(ticksStart, machineTicks()), 1),
  throughput,
  memory,
  scaling: { inProcess, overHttps, growth: scalingGrowth },
  targets,
};
writeFileSync(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
mkdirSync(dirname(opts.svg), { recursive: true });
const series = [
  ...Object.entries(inProcess.shapes).map(([shape, points]) => ({ name: `in process (CPU): ${shape === 'env' ? 'env vars' : shape}`, points: points.map((p) => ({ bytes: p.bytes, ms: p.cpuMedianMs })) })),
  { name: 'HTTPS round trip: env vars', points: overHttps.bytes.map((p) => ({ bytes: p.bytes, ms: p.oursMs })) },
  { name: 'HTTPS ceiling: env vars', dashed: true, points: overHttps.bytes.map((p) => ({ bytes: p.bytes, ms: p.ceilingMs })) },
];
writeFileSync(opts.svg, scalingSvg(series));

// --- Report (markdown on stdout; progress went to stderr).
const f = (n, d = 2) => Number(n).toFixed(d);
const m = results.machine;
console.log(`Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ${results.date}; load average ${results.loadAverage.start.map((l) => f(l)).join(' ')} at start, ${results.loadAverage.end.map((l) => f(l)).join(' ')} at end; CPU time stolen by the hypervisor during the run ${results.stealPercent} %\n`);
console.log(`### Throughput and latency (${rounds} interleaved rounds of ${seconds} s per server, 16 connections, keep-alive; medians over rounds)\n`);
console.log('| payload | server | requests/s | ratio to ceiling | p50 ms | p99 ms | server CPU µs/request | errors |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of throughput) {
  for (const [name, label] of [['ceiling', 'bare HTTPS ceiling'], ['framework', 'fastify, canned answer'], ['ours', 'sidecar-injector']]) {
    const r = row[name];
    const ratio = name === 'ceiling' ? 1 : name === 'ours' ? row.ratio : row.frameworkRatio;
    console.log(`| ${row.payload} (${row.requestBytes} B in, ${row.responseBytes} B out) | ${label} | ${f(r.rps, 0)} | ${f(ratio)} | ${r.p50} | ${r.p99} | ${f(r.cpuUsPerRequest, 0)} | ${r.errors} |`);
  }
}
console.log(`\n### Memory (after a full garbage collection, before and after ${memory.reviews} reviews)\n\nHeap in use ${f(memory.heapBeforeMiB, 1)} MiB before, ${f(memory.heapAfterMiB, 1)} MiB after; RSS ${f(memory.rssBeforeMiB, 1)} MiB before, ${f(memory.rssAfterMiB, 1)} MiB after (peak ${f(memory.rssMaxMiB, 1)} MiB during the run, between collections); ${memory.errors} errors`);
console.log('\n### Cost per review against the number of environment variables (plain pod)\n');
console.log('| env vars | body bytes | in process, CPU ms (median) | in process, wall ms (median) | in process, wall ms (p90) | HTTPS round trip, median ms | HTTPS ceiling, median ms |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const e of inProcess.env) {
  const h = overHttps.env.find((x) => x.envCount === e.envCount);
  console.log(`| ${e.envCount} | ${e.bytes} | ${f(e.cpuMedianMs, 3)} | ${f(e.medianMs, 3)} | ${f(e.p90Ms, 3)} | ${f(h.oursMs, 3)} | ${f(h.ceilingMs, 3)} |`);
}
console.log('\n### Cost per review against body size (in process: median CPU ms per review; HTTPS: median round trip ms; ×N = ratio to the previous size)\n');
const shapes = Object.keys(inProcess.shapes);
console.log(`| body | ${shapes.map((s) => `in process: ${s}`).join(' | ')} | HTTPS: env | HTTPS ceiling: env |`);
console.log(`| ---: | ${shapes.map(() => '---:').join(' | ')} | ---: | ---: |`);
const cell = (points, i, key) => `${f(points[i][key], 3)}${i > 0 ? ` (×${f(points[i][key] / points[i - 1][key])})` : ''}`;
for (let i = 0; i < overHttps.bytes.length; i++) {
  const kb = 2 ** i;
  console.log(`| ${kb >= 1024 ? `${kb / 1024} MB` : `${kb} KB`} | ${shapes.map((s) => cell(inProcess.shapes[s], i, 'cpuMedianMs')).join(' | ')} | ${cell(overHttps.bytes, i, 'oursMs')} | ${cell(overHttps.bytes, i, 'ceilingMs')} |`);
}
console.log('\nGrowth: worst ratio between consecutive doublings, and log-log slope of the upper half (1.0 = linear):\n');
for (const [name, g] of Object.entries(scalingGrowth)) console.log(`- ${name}: worst ×${f(g.worstDoublingRatio)}, slope ${f(g.slope)}`);
console.log('\n### Targets\n');
console.log(`- throughput ratio (plain pod) ${f(targets.throughputRatio.value)} (target >= 0.70): ${targets.throughputRatio.met ? 'met' : 'NOT met'}`);
console.log(`- 2,000-variable pod ${f(env2000.cpuMedianMs, 3)} ms CPU in process (${f(env2000.medianMs, 3)} ms wall), ${f(env2000Https.oursMs, 3)} ms over HTTPS (target < 5 ms): ${targets.env2000Ms.met ? 'met' : 'NOT met'}`);
console.log(`- doubling the size at most doubles the time: worst ×${f(targets.doubling.value)}: ${targets.doubling.met ? 'met' : 'NOT met'}`);
console.log(`\nresults: ${join(opts.out, 'results.json')}, plot: ${opts.svg}`);
