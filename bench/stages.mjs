#!/usr/bin/env node
// Where the time of a review goes under load. Side by side, in interleaved rounds (plain pod,
// 16 keep-alive connections, as in run.mjs): the bare-HTTPS ceiling, fastify alone, our server,
// and builds of our server that each leave out one more part of the review (STAGES). The gaps
// between neighbours are what each part costs per request.
//
// The reduced builds are copies of dist/ in a temporary directory whose review code is replaced
// as STAGES says. They compute the left-out parts once, for the first review, and reuse the result
// (same body every time), so every build answers with the same bytes. Each replacement must match
// the built code exactly once: a change to src/admission/review.ts that breaks one stops the run
// instead of measuring something else.
// Usage: npm run bench:stages -- [--seconds N] [--rounds N] [--out FILE]
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDevCertificates } from '../dist/certs/dev.js';
import { load, machineTicks, medianRatio, medianRun, post, round, startChild, stealPercent, stopChild } from './lib.mjs';
import { fixture } from './pods.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/stages.json' },
  },
});

const REVIEW_JS = 'admission/review.js';
const WORK = `        const rendered = engine.render(injectionRequest, ctx.config);
        budget?.checkpoint('computing the patch');
        const ops = diffPatch(pod, rendered);
        budget?.checkpoint('verifying the patch');
        verifyPatch(pod, ops, rendered);
`;
const VERIFY = `        budget?.checkpoint('verifying the patch');
        verifyPatch(pod, ops, rendered);
`;
// The work done once: the rendered pod, the patch, and the answer built from them.
const ONCE = `        globalThis.benchOnce ??= (() => { const r = engine.render(injectionRequest, ctx.config); const o = diffPatch(pod, r); verifyPatch(pod, o, r); return { rendered: r, ops: o, review: allow(apiVersion, request.uid, { patch: o, ...explain(decision, r) }) }; })();
        const { rendered, ops } = globalThis.benchOnce;
`;
const ANSWER = `        return finish(allow(apiVersion, request.uid, { patch: ops, ...explain(decision, done.rendered) }), 'injected', reason, ops.length);
`;
const CANNED = [
  [WORK, ONCE],
  [ANSWER, "        return finish(globalThis.benchOnce.review, 'injected', reason, ops.length);\n"],
];
const LOG_LINE = '        else if (ctx.logger.isLevelEnabled(level)) {';

/** Each stage: its name, what it leaves out, and the replacements [built text, new text] in review.js. */
const STAGES = [
  { name: 'ours', leaves: 'nothing', edits: [] },
  { name: 'no verification', leaves: 'verifying the patch', edits: [[WORK, WORK.replace(VERIFY, '')]] },
  {
    name: 'patch serialized only',
    leaves: 'rendering, diff and verification (reused from the first review); the patch is still serialized',
    edits: [[WORK, ONCE]],
  },
  {
    name: 'canned answer',
    leaves: 'all of the above and the serialization of the patch: the answer object is reused; decoding, decide, the log line, metrics and the HTTP answer remain',
    edits: CANNED,
  },
  {
    name: 'canned answer, no log line',
    leaves: 'all of the above and the log line of the review',
    edits: [
      ...CANNED,
      [LOG_LINE, '        else if (level !== \'info\' && ctx.logger.isLevelEnabled(level)) {'],
    ],
  },
];

function replaceOnce(text, from, to, stage) {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1) {
    throw new Error(`stage '${stage}': the text to replace occurs ${at === -1 ? 'nowhere' : 'more than once'} in dist/${REVIEW_JS}; update STAGES in bench/stages.mjs to match src/admission/review.ts:\n${from}`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** A copy of dist/ with the stage's edits, able to resolve the project's node_modules. */
function buildStage(stage, root) {
  if (stage.edits.length === 0) return 'dist';
  const dir = join(root, stage.name.replace(/\W+/g, '-'));
  cpSync('dist', join(dir, 'dist'), { recursive: true });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  const file = join(dir, 'dist', REVIEW_JS);
  let text = readFileSync(file, 'utf8');
  for (const [from, to] of stage.edits) text = replaceOnce(text, from, to, stage.name);
  writeFileSync(file, text);
  return join(dir, 'dist');
}

const log = (...args) => console.error(`[stages ${new Date().toISOString().slice(11, 19)}]`, ...args);
const root = mkdtempSync(join(tmpdir(), 'sidecar-injector-stages-'));
const children = [];
try {
  const certs = await ensureDevCertificates(root);
  const ca = readFileSync(certs.caFile);
  const body = JSON.stringify(fixture('pod-plain'));
  const isListening = (l) => l.includes('"msg":"listening"');
  const targets = [];
  for (const stage of STAGES) {
    const dist = buildStage(stage, root);
    const { child, info } = await startChild([join(dist, 'cli.js'), 'serve', '--port', '0', '--certs-dir', root, '--monitoring-port', '0', '--log-level', 'info'], isListening);
    children.push(child);
    targets.push({ name: stage.name, leaves: stage.leaves, url: `https://localhost:${info.port}/inject`, pid: child.pid });
  }
  // Every build must give the same answer as ours, less the uid the reused ones carry over.
  const answers = await Promise.all(targets.map((t) => post(t.url, ca, body)));
  const withoutUid = (b) => JSON.stringify({ ...JSON.parse(b).response, uid: undefined });
  for (const [i, answer] of answers.entries()) {
    if (answer.status !== 200 || withoutUid(answer.body) !== withoutUid(answers[0].body)) throw new Error(`'${targets[i].name}' does not answer as our server does: ${answer.body}`);
  }
  const canned = join(root, 'canned.json');
  writeFileSync(canned, answers[0].body);
  const isPort = (l) => l.startsWith('{"port"');
  for (const [name, script] of [['framework alone', 'bench/framework-server.mjs'], ['ceiling', 'bench/baseline-server.mjs']]) {
    const { child, info } = await startChild([script, certs.certFile, certs.keyFile, canned], isPort);
    children.push(child);
    targets.push({ name, leaves: name === 'ceiling' ? 'everything but TLS, HTTP and JSON.parse' : 'everything of ours', url: `https://localhost:${info.port}/inject`, pid: child.pid });
  }

  const seconds = Number(opts.seconds);
  const rounds = Number(opts.rounds);
  const ticksStart = machineTicks();
  for (const t of targets) await load({ url: t.url, ca, body, duration: Math.min(3, seconds) });
  const runs = targets.map(() => []);
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1}/${rounds}`);
    for (const [i, t] of targets.entries()) runs[i].push(await load({ url: t.url, ca, body, duration: seconds, pid: t.pid }));
  }
  const ceiling = runs[targets.length - 1];
  const rows = targets.map((t, i) => {
    const figures = medianRun(runs[i]);
    return {
      name: t.name,
      leavesOut: t.leaves,
      ratio: round(medianRatio(runs[i], ceiling)),
      rps: Math.round(figures.rps),
      cpuUsPerRequest: Math.round(figures.cpuUsPerRequest),
      p50Ms: figures.p50,
      p99Ms: figures.p99,
      errors: figures.errors,
    };
  });
  const result = { date: new Date().toISOString(), seconds, rounds, stealPercent: round(stealPercent(ticksStart, machineTicks()), 1), rows };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`Plain pod, 16 connections, median of ${rounds} rounds of ${seconds} s; hypervisor steal ${result.stealPercent} %`);
  console.log(`${'server'.padEnd(28)} ${'of ceiling'.padStart(10)} ${'req/s'.padStart(7)} ${'CPU µs/req'.padStart(10)} ${'p50/p99 ms'.padStart(11)}  errors`);
  for (const row of rows) {
    console.log(`${row.name.padEnd(28)} ${row.ratio.toFixed(2).padStart(10)} ${String(row.rps).padStart(7)} ${String(row.cpuUsPerRequest).padStart(10)} ${`${row.p50Ms}/${row.p99Ms}`.padStart(11)}  ${row.errors}`);
  }
  console.log(`(results in ${opts.out})`);
} finally {
  await Promise.all(children.map((child) => stopChild(child)));
  rmSync(root, { recursive: true, force: true });
}
