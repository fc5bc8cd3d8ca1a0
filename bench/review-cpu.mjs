#!/usr/bin/env node
// The CPU time of one review in process, "decode to serialized answer": what the route does with a
// body once it has arrived (JSON.parse, decode the envelope, the review's budget, decide, render,
// diff, verify, the answer, the review's log line at info, metrics, the answer's JSON text). No
// HTTP, no TLS. The log line goes to /dev/null through the server's own logger (asynchronous
// writes, as the server's to stdout).
//
//   node bench/review-cpu.mjs                        median CPU µs per review of each pod
//   node bench/review-cpu.mjs --pods plain,env100    which pods (BENCH_PODS of pods.mjs)
//   node bench/review-cpu.mjs --builds dist,OTHER    alternate builds in one process (each a
//                                                    directory like dist/, beside a node_modules);
//                                                    reports each build's figure and the median of
//                                                    the per-round ratios to the first build
//   node bench/review-cpu.mjs --count N --warmup W   no timing: W reviews, then N more, then exit
//                                                    (for instruction counts under valgrind: the
//                                                    difference of two counts is N reviews' worth)
//
// CPU time (process.cpuUsage: every thread, garbage collection included) is steady on a busy
// machine where wall-clock time is not; rounds alternate pods and builds so a burst of other load
// lands on all of them.
import { setImmediate } from 'node:timers';
import { parseArgs } from 'node:util';
import { median } from './lib.mjs';
import { BENCH_PODS } from './pods.mjs';

const { values: opts } = parseArgs({
  options: {
    builds: { type: 'string', default: 'dist' },
    pods: { type: 'string', default: 'plain' },
    rounds: { type: 'string', default: '30' },
    batch: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '20000' },
    count: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const builds = opts.builds.split(',');
// Each build's pipeline comes from a module instance of its own (a distinct query string): call
// sites shared by several builds would see several targets and be optimised less for each.
const runs = await Promise.all(builds.map(async (dir, i) => (await import(`./review-pipeline.mjs?build=${i}`)).pipeline(dir)));
const pods = opts.pods.split(',').map((name) => {
  if (!BENCH_PODS[name]) throw new Error(`unknown pod ${name}: one of ${Object.keys(BENCH_PODS).join(', ')}`);
  return { name, text: JSON.stringify(BENCH_PODS[name].review()) };
});

// Every build must give the same answer, or the comparison is meaningless.
for (const pod of pods) {
  const answers = runs.map((run) => run(pod.text));
  if (answers.some((a) => a !== answers[0])) throw new Error(`the builds answer the ${pod.name} pod differently`);
  if (!JSON.parse(answers[0]).response.patch) throw new Error(`the ${pod.name} pod was not injected: ${answers[0].slice(0, 300)}`);
}

const warmup = Number(opts.warmup);
// Between batches the event loop turns, so the log lines written asynchronously go out (the
// writes' CPU time lands in the next batch's measure: all threads count).
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** `n` reviews of `text`, the event loop turning every 500. */
async function repeat(run, text, n) {
  for (let i = 0; i < n; i++) {
    run(text);
    if (i % 500 === 499) await turn();
  }
}
if (opts.count !== undefined) {
  const count = Number(opts.count);
  for (const run of runs) for (const pod of pods) await repeat(run, pod.text, warmup + count);
  process.exit(0);
}

// Warm-up: enough reviews of each pod for the optimising compiler to settle, bounded by bytes.
const bytesBound = (text, n) => Math.max(20, Math.min(n, Math.floor((400 * 1024 * 1024) / text.length)));
for (const run of runs) for (const pod of pods) await repeat(run, pod.text, bytesBound(pod.text, warmup));

const rounds = Number(opts.rounds);
const samples = pods.map(() => runs.map(() => []));
for (let round = 0; round < rounds; round++) {
  for (const [p, pod] of pods.entries()) {
    const n = Math.max(3, Math.min(Number(opts.batch), Math.floor((40 * 1024 * 1024) / pod.text.length)));
    for (const [b, run] of runs.entries()) {
      await turn();
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) run(pod.text);
      const used = process.cpuUsage(started);
      samples[p][b].push((used.user + used.system) / n);
    }
  }
}

const results = pods.map((pod, p) => ({
  pod: pod.name,
  bytes: pod.text.length,
  builds: builds.map((dir, b) => ({
    build: dir,
    cpuUs: median(samples[p][b]),
    ratioToFirst: b === 0 ? 1 : median(samples[p][b].map((s, r) => s / samples[p][0][r])),
  })),
}));
if (opts.json) process.stdout.write(`${JSON.stringify(results)}\n`);
else {
  for (const r of results) {
    for (const b of r.builds) {
      process.stdout.write(`${r.pod} (${r.bytes} B) ${b.build}: ${b.cpuUs.toFixed(1)} µs CPU per review${b.build === builds[0] ? '' : `, ×${b.ratioToFirst.toFixed(3)} of ${builds[0]}`}\n`);
    }
  }
}
