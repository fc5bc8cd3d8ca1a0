#!/usr/bin/env node
// npm run bench:peers: our server, Istio's own injector and the bare-HTTPS ceiling side by side,
// in one run:
//   0. the answers: both injectors get each review, and both patches are applied to the pod; the
//      patched pods must be the same (differences are listed, not hidden);
//   1. throughput and latency: the same reviews (plain pod, 100 and 2,000 variables, 1 MB) at 1, 4
//      and 16 keep-alive connections, in interleaved rounds (each round runs every server on every
//      review and concurrency); ratios to Istio's are medians of per-round ratios; each server's
//      CPU time per 10,000 reviews is read from /proc;
//   2. memory: each server started afresh, its RSS at rest and after 100,000 plain-pod reviews;
//   3. in process: the CPU time of a plain review, decode to serialized answer
//      (bench/review-cpu.mjs), and the log-log slope of time per review from 1 KB to 1 MB
//      (bench/scaling.mjs --sizes-only).
//
// The servers:
//   - ours: dist/cli.js serve, logging at info as in production;
//   - Istio: the peer's `serve` (bench/peers/istio: Istio's webhook handler, inject.NewWebhook),
//     given the configuration ours uses by default: our built-in values and mesh config written
//     to files, and Istio's injector config (templates) of the version our templates follow, the
//     conformance corpus' config.yaml (--inject-config to give another);
//   - the ceiling: bench/baseline-server.mjs, Node's https server parsing the review and answering
//     our answer's bytes, canned.
// The load generator is wrk (one thread, C) when it is installed, else autocannon (Node, in this
// process); both share the machine's CPUs with the servers, so the run also measures what the
// generator costs per request against the ceiling.
//
// Options: --seconds N        per load run (default 5)
//          --rounds N         interleaved rounds (default 3)
//          --connections L    comma-separated (default 1,4,16)
//          --pods L           of plain, env100, env2000, mb1 (default all)
//          --reviews N        memory run (default 100000)
//          --client NAME      wrk or autocannon (default: wrk when installed)
//          --inject-config F  Istio's injector config for the peer (default: the conformance
//                             corpus' config.yaml, from ../shared/conformance or CONFORMANCE_DIR)
//          --out FILE         results (default bench/results/peers.json)
//          --quick            short runs, to check the harness (figures not meaningful)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import jsonpatch from 'fast-json-patch';
import { ensureDevCertificates } from '../dist/certs/dev.js';
import { defaultConfig } from '../dist/config/index.js';
import { ensureIstioPeer, istioVersion } from './peers/istio-peer.mjs';
import { growth, hasWrk, load, machineTicks, medianRatio, medianRun, post, round, rssMiB, startChild, stealPercent, stopChild, wrkLoad } from './lib.mjs';
import { BENCH_PODS } from './pods.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,4,16' },
    pods: { type: 'string', default: Object.keys(BENCH_PODS).join(',') },
    reviews: { type: 'string', default: '100000' },
    client: { type: 'string' },
    'inject-config': { type: 'string' },
    out: { type: 'string', default: 'bench/results/peers.json' },
    quick: { type: 'boolean', default: false },
  },
});
const seconds = opts.quick ? 1 : Number(opts.seconds);
const rounds = opts.quick ? 1 : Number(opts.rounds);
const reviews = opts.quick ? 2000 : Number(opts.reviews);
const connectionCounts = opts.connections.split(',').map(Number);
const client = opts.client ?? (hasWrk() ? 'wrk' : 'autocannon');
if (client !== 'wrk' && client !== 'autocannon') throw new Error(`--client: wrk or autocannon, not ${client}`);
if (client === 'wrk' && !hasWrk()) throw new Error('--client wrk: wrk is not installed (apt-get install wrk)');
const log = (...args) => console.error(`[bench:peers ${new Date().toISOString().slice(11, 19)}]`, ...args);

const kit = resolve(process.env.CONFORMANCE_DIR ?? '../shared/conformance');
const injectConfig = resolve(opts['inject-config'] ?? join(kit, 'istio/cases/hello/config.yaml'));
if (!existsSync(injectConfig)) {
  throw new Error(`Istio's injector config ${injectConfig} is missing: pass --inject-config FILE (the "config" key of Istio's istio-sidecar-injector ConfigMap) or set CONFORMANCE_DIR`);
}
const peer = ensureIstioPeer({ log });

const loadStart = loadavg();
const ticksStart = machineTicks();
const workDir = mkdtempSync(join(tmpdir(), 'sidecar-injector-peers-'));
const certs = await ensureDevCertificates(workDir);
const ca = readFileSync(certs.caFile);

// Our default configuration, as files for the peer.
const config = defaultConfig();
const valuesFile = join(workDir, 'values.json');
const meshFile = join(workDir, 'mesh.json');
writeFileSync(valuesFile, JSON.stringify(config.values, null, 2));
writeFileSync(meshFile, JSON.stringify(config.mesh, null, 2));

const pods = opts.pods.split(',').map((name) => {
  const spec = BENCH_PODS[name];
  if (spec === undefined) throw new Error(`--pods: unknown pod ${name} (one of ${Object.keys(BENCH_PODS).join(', ')})`);
  const text = JSON.stringify(spec.review());
  const file = join(workDir, `${name}.json`);
  writeFileSync(file, text);
  return { name, title: spec.title, text, file, review: JSON.parse(text) };
});

/** Every server started, so none outlives the run, whatever ends it. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
const track = (server) => {
  children.add(server.child);
  return server;
};

/** Server starters: each resolves with { child, url }. */
const oursArgs = ['dist/cli.js', 'serve', '--port', '0', '--certs-dir', workDir, '--monitoring-port', '0', '--log-level', 'info'];
async function startOurs() {
  const { child, info } = await startChild(oursArgs, (l) => l.includes('"msg":"listening"'));
  return track({ child, url: `https://localhost:${info.port}/inject` });
}
let peerLogs = 0;
async function startIstio() {
  // Istio's injector logs a line per review (at info, as istiod runs) on stderr: to a file.
  const fd = openSync(join(workDir, `istio-${peerLogs++}.log`), 'w');
  const args = ['serve', '--port', '0', '--cert', certs.certFile, '--key', certs.keyFile, '--valuesFile', valuesFile, '--meshConfigFile', meshFile, '--injectConfigFile', injectConfig, '--log-level', 'info'];
  const started = await startChild(args, (l) => l.startsWith('listening on https://'), { command: peer, parse: (l) => ({ port: Number(l.split(':').pop()) }), stderr: fd, timeoutMs: 60_000 });
  closeSync(fd);
  return track({ child: started.child, url: `https://localhost:${started.info.port}/inject` });
}
async function startBare(canned, name) {
  const file = join(workDir, `${name}-answer.json`);
  writeFileSync(file, canned);
  const { child, info } = await startChild(['bench/baseline-server.mjs', certs.certFile, certs.keyFile, file], (l) => l.startsWith('{"port"'));
  return track({ child, url: `https://localhost:${info.port}/inject` });
}

const SERVERS = ['istio', 'ours', 'bare'];
const NAMES = { istio: "Istio's injector", ours: 'sidecar-injector', bare: 'bare HTTPS ceiling' };

function run(server, pod, connections, duration, extra = {}) {
  const common = { url: server.url, connections, pid: server.child.pid, ...extra };
  return client === 'wrk' ? wrkLoad({ ...common, bodyFile: pod.file, duration }) : load({ ...common, ca, body: pod.text, duration });
}

// --- 0. The answers: the same pod patched by each must be the same pod.
/** Lists where two JSON values differ (JSON pointers, at most `max`). Key order is no difference: the apiserver decodes the patched pod into a struct. */
function differences(a, b, path = '', out = [], max = 20) {
  if (out.length >= max || a === b) return out;
  const bothObjects = typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    out.push({ path: path || '/', ours: JSON.stringify(a)?.slice(0, 200), istio: JSON.stringify(b)?.slice(0, 200) });
    return out;
  }
  const keys = Array.isArray(a) ? Array.from({ length: Math.max(a.length, b.length) }, (_, i) => String(i)) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const key of keys) differences(a[key], b[key], `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, out, max);
  return out;
}

/** What an answer does to the review's object: refused, or allowed with the object patched (or not). */
function outcome(review, answer) {
  const response = JSON.parse(answer).response;
  if (response?.allowed !== true) return { allowed: false, message: response?.status?.message ?? '' };
  if (response.patch === undefined) return { allowed: true, object: review.request.object, ops: 0, patchBytes: 0 };
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  return { allowed: true, object: jsonpatch.applyPatch(structuredClone(review.request.object), ops, true).newDocument, ops: ops.length, patchBytes: Buffer.byteLength(JSON.stringify(ops)) };
}

/** Sends one review to both injectors and compares what their answers do to it. */
async function compareAnswers(name, text) {
  const review = JSON.parse(text);
  const answers = {};
  for (const server of ['ours', 'istio']) {
    const { status, body } = await post(servers[server].url, ca, text);
    if (status !== 200) throw new Error(`${NAMES[server]} answered ${name} with HTTP ${status}: ${body.toString().slice(0, 300)}`);
    answers[server] = body.toString();
  }
  const ours = outcome(review, answers.ours);
  const istio = outcome(review, answers.istio);
  let diff = [];
  if (ours.allowed !== istio.allowed) diff = [{ path: '/', ours: ours.allowed ? 'allowed' : `refused: ${ours.message}`, istio: istio.allowed ? 'allowed' : `refused: ${istio.message}` }];
  else if (ours.allowed) diff = differences(ours.object, istio.object);
  const verdict = !ours.allowed ? 'refused' : ours.ops === 0 && istio.ops === 0 ? 'unchanged' : 'patched';
  const result = {
    review: name,
    requestBytes: text.length,
    verdict,
    same: diff.length === 0,
    sameBytes: ours.allowed && istio.allowed && JSON.stringify(ours.object) === JSON.stringify(istio.object),
    differences: diff,
    ours: { answerBytes: answers.ours.length, ops: ours.ops, patchBytes: ours.patchBytes, message: ours.message },
    istio: { answerBytes: answers.istio.length, ops: istio.ops, patchBytes: istio.patchBytes, message: istio.message },
  };
  log(`${name}: ${verdict} by both, ${diff.length === 0 ? 'the same' : `DIFFERENT at ${diff.map((d) => d.path).join(', ')}`}`);
  return { result, answers };
}

log(`starting the servers (client: ${client}; Istio peer ${istioVersion()}, templates ${injectConfig})`);
const servers = { ours: await startOurs(), istio: await startIstio() };
const bare = {};
const equivalence = [];
for (const pod of pods) {
  const { result, answers } = await compareAnswers(pod.title, pod.text);
  // Timing a server that answers without injecting would measure nothing: both must patch.
  for (const name of ['ours', 'istio']) {
    if (!(result[name].ops > 0)) throw new Error(`${NAMES[name]} did not inject the ${pod.title}: ${answers[name].slice(0, 300)}`);
  }
  equivalence.push(result);
  bare[pod.name] = await startBare(answers.ours, pod.name);
}
// The other fixture reviews of pods too (skips, a refusal, probes, v1beta1...): answers only, no
// load. Not the Service: Istio's handler patches whatever it gets as a pod, and relies on its
// webhook configuration to be sent pods only.
for (const file of readdirSync('test/fixtures/reviews').filter((f) => f.startsWith('pod-') && f.endsWith('.json')).sort()) {
  if (file === 'pod-plain.json') continue;
  equivalence.push((await compareAnswers(`test/fixtures/reviews/${file}`, readFileSync(join('test/fixtures/reviews', file), 'utf8'))).result);
}

// --- 1. Throughput and latency.
log('warming up');
for (const pod of pods) {
  for (const name of ['istio', 'ours']) await run(servers[name], pod, 16, opts.quick ? 1 : 2);
  await run(bare[pod.name], pod, 16, 1);
}

// What the load generator costs: both generators against the ceiling, plain pod, 16 connections.
const generator = [];
const plainPod = pods.find((p) => p.name === 'plain') ?? pods[0];
for (const name of hasWrk() ? ['wrk', 'autocannon'] : ['autocannon']) {
  const server = bare[plainPod.name];
  const common = { url: server.url, connections: 16, pid: server.child.pid, duration: seconds };
  const result = name === 'wrk' ? await wrkLoad({ ...common, bodyFile: plainPod.file }) : await load({ ...common, ca, body: plainPod.text });
  generator.push({ client: name, ...result });
  log(`load generator ${name} against the ceiling: ${Math.round(result.rps)} requests/s, ${Math.round(result.clientCpuUsPerRequest)} µs of its own CPU per request`);
}

const cells = [];
for (const pod of pods) for (const connections of connectionCounts) cells.push({ pod, connections, runs: { istio: [], ours: [], bare: [] } });
for (let r = 0; r < rounds; r++) {
  for (const cell of cells) {
    for (const name of SERVERS) {
      const server = name === 'bare' ? bare[cell.pod.name] : servers[name];
      log(`round ${r + 1}/${rounds}: ${cell.pod.title}, ${cell.connections} connection(s), ${NAMES[name]} (${seconds} s)`);
      cell.runs[name].push(await run(server, cell.pod, cell.connections, seconds));
    }
  }
}
const throughput = cells.map(({ pod, connections, runs }) => {
  const row = { pod: pod.name, title: pod.title, requestBytes: pod.text.length, connections, rounds: runs };
  for (const name of SERVERS) {
    row[name] = medianRun(runs[name]);
    row[name].cpuSecondsPer10k = (row[name].cpuUsPerRequest * 10_000) / 1e6;
  }
  row.ratioToIstio = Object.fromEntries(
    ['ours', 'bare'].map((name) => [name, Object.fromEntries(['rps', 'p50', 'p99', 'cpuUsPerRequest'].map((key) => [key, runs.istio.some((r) => r.total === 0) ? NaN : medianRatio(runs[name], runs.istio, key)]))]),
  );
  return row;
});
await Promise.all([...Object.values(servers), ...Object.values(bare)].map((s) => stopChild(s.child)));

// --- 2. Memory: each server afresh, at rest, then after `reviews` plain-pod reviews.
const memory = [];
const plainAnswer = readFileSync(join(workDir, `${plainPod.name}-answer.json`));
for (const name of SERVERS) {
  const server = name === 'ours' ? await startOurs() : name === 'istio' ? await startIstio() : await startBare(plainAnswer, 'memory');
  await new Promise((r) => setTimeout(r, 2000));
  const atRest = rssMiB(server.child.pid);
  let peak = atRest;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.child.pid))), 1000);
  log(`memory: ${NAMES[name]}, ${reviews} reviews`);
  const started = Date.now();
  const result = client === 'wrk' ? await wrkLoad({ url: server.url, bodyFile: plainPod.file, connections: 16, amount: reviews, pid: server.child.pid }) : await load({ url: server.url, ca, body: plainPod.text, connections: 16, amount: reviews, pid: server.child.pid });
  clearInterval(sampler);
  const after = rssMiB(server.child.pid);
  memory.push({ server: name, reviews: result.total, errors: result.errors, seconds: (Date.now() - started) / 1000, rssAtRestMiB: atRest, rssAfterMiB: after, rssPeakMiB: Math.max(peak, after) });
  await stopChild(server.child);
}
rmSync(workDir, { recursive: true, force: true });

// --- 3. In process: a plain review's CPU time, and time against size.
log('in process: a plain review');
const cpuRun = spawnSync(process.execPath, ['bench/review-cpu.mjs', '--pods', 'plain', '--json', ...(opts.quick ? ['--rounds', '3', '--warmup', '2000'] : [])], { encoding: 'utf8', timeout: 600_000 });
if (cpuRun.status !== 0) throw new Error(`bench/review-cpu.mjs failed: ${cpuRun.stderr}`);
const plainReviewUs = JSON.parse(cpuRun.stdout)[0].builds[0].cpuUs;
log('in process: 1 KB to 1 MB');
const scalingRun = spawnSync(process.execPath, ['--expose-gc', 'bench/scaling.mjs', '--sizes-only', '--budget-mb', opts.quick ? '4' : '40'], { encoding: 'utf8', timeout: 1_200_000, maxBuffer: 16 * 1024 * 1024 });
if (scalingRun.status !== 0) throw new Error(`bench/scaling.mjs failed: ${scalingRun.stderr}`);
const shapes = JSON.parse(scalingRun.stdout).shapes;
const slopes = Object.fromEntries(Object.entries(shapes).map(([shape, points]) => [shape, growth(points, 'cpuMedianMs')]));

// --- Targets.
const cell = (pod, connections) => throughput.find((t) => t.pod === pod && t.connections === connections);
const plain16 = cell('plain', 16);
const p99Cells = connectionCounts.map((c) => cell('plain', c)).filter(Boolean);
const worstSlope = Math.max(...Object.values(slopes).flatMap((g) => [g.slope, g.slopeAll]));
const targets = {
  throughput: plain16 && { target: ">= 2x Istio's, plain pod, 16 connections", value: plain16.ratioToIstio.ours.rps, met: plain16.ratioToIstio.ours.rps >= 2 },
  p99: { target: "<= Istio's at 1, 4 and 16 connections, plain pod", value: Object.fromEntries(p99Cells.map((c) => [c.connections, c.ratioToIstio.ours.p99])), met: p99Cells.every((c) => c.ratioToIstio.ours.p99 <= 1) },
  plainReviewCpu: { target: '< 80 µs of CPU in process', value: plainReviewUs, met: plainReviewUs < 80 },
  slope: { target: '<= 1.1, 1 KB to 1 MB, every shape (whole series and its upper half)', value: worstSlope, met: worstSlope <= 1.1 },
};

const results = {
  date: new Date().toISOString(),
  command: `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { nproc: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform} ${process.arch}` },
  settings: { seconds, rounds, connections: connectionCounts, reviews, client, istio: istioVersion(), injectConfig },
  loadAverage: { start: loadStart, end: loadavg() },
  stealPercent: round(stealPercent(ticksStart, machineTicks()), 1),
  equivalence,
  generator,
  throughput,
  memory,
  inProcess: { plainReviewUs, shapes, slopes },
  targets,
};
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);

// --- Report (markdown on stdout).
const f = (n, digits = 2) => (n === undefined || Number.isNaN(n) ? '-' : Number(n).toFixed(digits));
const x = (n) => `×${f(n)}`;
const print = (line = '') => process.stdout.write(`${line}\n`);
print(`Machine: ${results.machine.nproc} CPUs (${results.machine.cpu}), ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; ${results.date}; load average ${loadStart.map((l) => f(l)).join(' ')} at start, ${results.loadAverage.end.map((l) => f(l)).join(' ')} at end; CPU time stolen by the hypervisor ${f(results.stealPercent, 1)} %; load generator ${client}; Istio ${results.settings.istio}`);
print();
print('#### The answers (each review sent to both; both patches applied to its pod, the results compared)');
print();
print('| review | request bytes | answer | ours: ops, patch bytes | Istio: ops, patch bytes | the two pods |');
print('| --- | ---: | --- | ---: | ---: | --- |');
for (const e of equivalence) {
  const same = e.verdict === 'refused' ? 'both refused' : `the same${e.sameBytes ? ', key order too' : ' (keys in another order in places)'}`;
  const verdict = e.same ? same : `DIFFERENT at ${e.differences.map((d) => `\`${d.path}\``).join(', ')}`;
  print(`| ${e.review} | ${e.requestBytes} | ${e.verdict} | ${e.ours.ops ?? '-'}, ${e.ours.patchBytes ?? '-'} | ${e.istio.ops ?? '-'}, ${e.istio.patchBytes ?? '-'} | ${verdict} |`);
}
print();
print(`#### Throughput and latency (${rounds} interleaved rounds of ${seconds} s per server, keep-alive; medians over rounds; ×: median of per-round ratios to Istio's)`);
print();
print("| review | conns | Istio req/s | ours req/s | bare req/s | Istio p50 / p99 ms | ours p50 / p99 ms | bare p50 / p99 ms | errors |");
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const t of throughput) {
  const lat = (name) => `${f(t[name].p50)} / ${f(t[name].p99)}`;
  const ratioLat = (name) => `${lat(name)} (${x(t.ratioToIstio[name].p50)} / ${x(t.ratioToIstio[name].p99)})`;
  print(`| ${t.title} | ${t.connections} | ${Math.round(t.istio.rps)} | ${Math.round(t.ours.rps)} (${x(t.ratioToIstio.ours.rps)}) | ${Math.round(t.bare.rps)} (${x(t.ratioToIstio.bare.rps)}) | ${lat('istio')} | ${ratioLat('ours')} | ${ratioLat('bare')} | ${t.istio.errors + t.ours.errors + t.bare.errors} |`);
}
print();
print('#### Server CPU seconds per 10,000 reviews (median over rounds; ×: ratio to Istio\'s)');
print();
print("| review | conns | Istio | ours | bare | load generator |");
print('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const t of throughput) {
  const gen = Math.max(...SERVERS.map((name) => t[name].clientCpuUsPerRequest)) / 100;
  print(`| ${t.title} | ${t.connections} | ${f(t.istio.cpuSecondsPer10k)} | ${f(t.ours.cpuSecondsPer10k)} (${x(t.ratioToIstio.ours.cpuUsPerRequest)}) | ${f(t.bare.cpuSecondsPer10k)} (${x(t.ratioToIstio.bare.cpuUsPerRequest)}) | up to ${f(gen)} |`);
}
print();
print(`#### The load generator against the ceiling (plain pod, 16 connections, ${seconds} s)`);
print();
print('| generator | requests/s | its CPU µs per request | ceiling\'s CPU µs per request |');
print('| --- | ---: | ---: | ---: |');
for (const g of generator) print(`| ${g.client} | ${Math.round(g.rps)} | ${Math.round(g.clientCpuUsPerRequest)} | ${Math.round(g.cpuUsPerRequest)} |`);
print();
print(`#### Memory (RSS, each server started afresh; ${reviews} plain-pod reviews over 16 connections)`);
print();
print('| server | at rest MiB | after the reviews MiB | peak MiB | reviews/s | errors |');
print('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const m of memory) print(`| ${NAMES[m.server]} | ${f(m.rssAtRestMiB, 1)} | ${f(m.rssAfterMiB, 1)} | ${f(m.rssPeakMiB, 1)} | ${Math.round(m.reviews / m.seconds)} | ${m.errors} |`);
print();
print('#### In process');
print();
print(`- a plain review, decode to serialized answer: ${f(plainReviewUs, 1)} µs of CPU (median over rounds)`);
for (const [shape, g] of Object.entries(slopes)) {
  const points = shapes[shape];
  print(`- ${shape}: ${f(points[0].cpuMedianMs, 3)} ms at ${Math.round(points[0].bytes / 1024)} KB, ${f(points[points.length - 1].cpuMedianMs, 3)} ms at ${Math.round(points[points.length - 1].bytes / 1024)} KB; log-log slope ${f(g.slopeAll)} (1 KB to 1 MB), ${f(g.slope)} (upper half); worst doubling ${x(g.worstDoublingRatio)}`);
}
print();
print('#### Targets');
print();
for (const [name, t] of Object.entries(targets)) {
  if (!t) continue;
  const value = typeof t.value === 'object' ? Object.entries(t.value).map(([k, v]) => `${k}: ${x(v)}`).join(', ') : f(t.value);
  print(`- ${name} ${value} (target ${t.target}): ${t.met ? 'met' : 'NOT met'}`);
}
