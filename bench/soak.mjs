#!/usr/bin/env node
// npm run soak -- --minutes N: sustained load on `sidecar-injector serve` while its serving
// certificate rotates and its configuration reloads, ending with SIGTERM during in-flight reviews.
// Passes when no request failed, every rotation and reload was observed taking effect, invalid
// configurations were rejected without disturbing service, memory stayed flat and the process exited
// 0. Loopback only; every phase is bounded. Exit code 0 = pass, 1 = fail.
// Options: --minutes N (default 2), --connections N (default 16), --rotate-seconds N (default 15),
//          --reload-seconds N (default 10)
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { generateCa, generateServingCert } from '../dist/certs/generate.js';
import { gcOnSignal, load, memoryAfterGc, post, rssMiB, startChild } from './lib.mjs';
import { fixture, reviewWithEnv } from './pods.mjs';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    'rotate-seconds': { type: 'string', default: '15' },
    'reload-seconds': { type: 'string', default: '10' },
  },
});
const minutes = Number(opts.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be a number from 0 (exclusive) to 1440');
const durationMs = minutes * 60_000;
const log = (...args) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'sidecar-injector-soak-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');
const meshFile = join(dir, 'mesh.yaml');
const ca = await generateCa({ commonName: 'soak CA', days: 1 });
const fingerprint = (pem) => createHash('sha256').update(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');

/** Replaces a file the way a Secret or ConfigMap volume does: a complete new file, renamed in. */
function swapFile(path, content) {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
async function issueCertificate() {
  const leaf = await generateServingCert(ca, { sans: ['localhost', '127.0.0.1'], days: 1 });
  swapFile(keyFile, leaf.key);
  swapFile(certFile, leaf.cert);
  return fingerprint(leaf.cert);
}
const meshConfig = (generation) => `defaultConfig:\n  proxyMetadata:\n    SOAK_GENERATION: "${generation}"\n`;

await issueCertificate();
swapFile(meshFile, meshConfig(0));

const counts = { logLines: 0, rotatedLogged: 0, reloadedLogged: 0, rejectedLogged: 0, errorLogged: 0 };
const gcReportFile = join(dir, 'gc-report.json');
const gc = gcOnSignal(gcReportFile);
const server = await startChild(
  [...gc.args, 'dist/cli.js', 'serve', '--port', '0', '--tls-cert-file', certFile, '--tls-key-file', keyFile, '--mesh-config', meshFile, '--cert-poll-seconds', '1', '--config-poll-seconds', '1', '--monitoring-port', '0', '--log-level', 'info'],
  (l) => l.includes('"msg":"listening"'),
  {
    env: gc.env,
    stdout: (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        counts.logLines++;
        if (line.includes('serving certificate rotated')) counts.rotatedLogged++;
        if (line.includes('"msg":"configuration reloaded"')) counts.reloadedLogged++;
        if (line.includes('configuration change rejected')) counts.rejectedLogged++;
        if (line.includes('"level":50') || line.includes('"level":60')) counts.errorLogged++;
      }
    },
  },
);
const exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));
const url = `https://localhost:${server.info.port}/inject`;
const caPem = ca.cert;
const body = JSON.stringify(fixture('pod-plain'));
log(`server pid ${server.child.pid} on ${url}; ${minutes} min of load`);

/** The fingerprint of the certificate a new TLS connection is served. */
function servedCertificate() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.info.port, servername: 'localhost', ca: caPem, ALPNProtocols: ['http/1.1'] }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(createHash('sha256').update(raw).digest('hex'));
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS connect timed out')));
    socket.on('error', reject);
  });
}

/**
 * The SOAK_GENERATION a review is answered with now: the proxy's variable, and the same value in
 * its PROXY_CONFIG (computed once per configuration, so a stale one would show here).
 */
async function servedGeneration(agent) {
  const { status, body: answer } = await post(url, caPem, body, agent);
  if (status !== 200) throw new Error(`status ${status}`);
  const patch = Buffer.from(JSON.parse(answer).response.patch, 'base64').toString('utf8');
  const variable = /"SOAK_GENERATION","value":"(\d+)"/.exec(patch)?.[1];
  const inProxyConfig = /\\"SOAK_GENERATION\\":\\"(\d+)\\"/.exec(patch)?.[1];
  return variable === inProxyConfig ? variable : `${variable} (PROXY_CONFIG: ${inProxyConfig})`;
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(250);
  }
  log(`NOT observed within ${timeoutMs} ms: ${what}`);
  return false;
}

// --- Memory at the start, after a warm-up and a full garbage collection.
await load({ url, ca: caPem, body, connections: Number(opts.connections), amount: 5000 });
const memoryStart = await memoryAfterGc(server.child, gcReportFile);

// --- Background load: autocannon on keep-alive connections for the whole duration.
const rss = [rssMiB(server.child.pid)];
const started = Date.now();
const sampler = setInterval(() => rss.push(rssMiB(server.child.pid)), 5000);
const loadRun = autocannon({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections: Number(opts.connections),
  duration: Math.round(durationMs / 1000),
  timeout: 30,
  tlsOptions: { ca: caPem, servername: 'localhost' },
});

// --- Fresh connections all along: each review on a new TLS handshake, so rotations are exercised.
const fresh = { ok: 0, failed: 0, failures: [] };
const freshLoop = (async () => {
  while (Date.now() - started < durationMs) {
    const agent = new Agent({ keepAlive: false });
    try {
      const { status } = await post(url, caPem, JSON.stringify(reviewWithEnv(fixture('pod-plain'), 50)), agent);
      if (status === 200) fresh.ok++;
      else throw new Error(`status ${status}`);
    } catch (err) {
      fresh.failed++;
      if (fresh.failures.length < 5) fresh.failures.push(String(err.message ?? err));
    }
    agent.destroy();
    await sleep(20);
  }
})();

// --- Rotations and reloads, each checked to take effect on new connections and new reviews.
const events = { rotations: 0, rotationsObserved: 0, reloads: 0, reloadsObserved: 0, invalidConfigs: 0, invalidKeptServing: 0 };
const nextRotate = { at: Date.now() + Number(opts['rotate-seconds']) * 1000 };
const nextReload = { at: Date.now() + Number(opts['reload-seconds']) * 1000 };
const probeAgent = new Agent({ keepAlive: false });
let generation = 0;
while (Date.now() - started < durationMs - 5000) {
  if (Date.now() >= nextRotate.at) {
    const expected = await issueCertificate();
    events.rotations++;
    if (await waitFor(`certificate rotation ${events.rotations}`, async () => (await servedCertificate()) === expected)) events.rotationsObserved++;
    nextRotate.at = Date.now() + Number(opts['rotate-seconds']) * 1000;
  }
  if (Date.now() >= nextReload.at) {
    // Every third change is invalid: it must be rejected while the last good one keeps serving.
    if ((events.reloads + events.invalidConfigs) % 3 === 2) {
      swapFile(meshFile, 'defaultConfig: [\n');
      events.invalidConfigs++;
      const before = counts.rejectedLogged;
      await waitFor('invalid configuration rejected', async () => counts.rejectedLogged > before);
      if ((await servedGeneration(probeAgent)) === String(generation)) events.invalidKeptServing++;
    } else {
      generation++;
      swapFile(meshFile, meshConfig(generation));
      events.reloads++;
      const expected = String(generation);
      if (await waitFor(`configuration generation ${generation}`, async () => (await servedGeneration(probeAgent)) === expected)) events.reloadsObserved++;
    }
    nextReload.at = Date.now() + Number(opts['reload-seconds']) * 1000;
  }
  await sleep(200);
}
const result = await loadRun;
await freshLoop;
clearInterval(sampler);
rss.push(rssMiB(server.child.pid));
const memoryEnd = await memoryAfterGc(server.child, gcReportFile);

// --- SIGTERM while reviews are in flight: every one must be answered, then a clean exit.
log('SIGTERM with reviews in flight');
const bigBody = JSON.stringify(reviewWithEnv(fixture('pod-plain'), 2000));
// Like the apiserver's connection pool: connections open first, then the reviews, then the signal.
// (A connection opened after SIGTERM finds the listener closed: the server must already be out of
// the Service's endpoints by then; see docs/BENCHMARKS.md.)
const finalAgent = new Agent({ keepAlive: true, maxSockets: 32 });
await Promise.all(Array.from({ length: 32 }, () => post(url, caPem, body, finalAgent)));
const inFlight = Array.from({ length: 32 }, () => post(url, caPem, bigBody, finalAgent).then((r) => r.status, (err) => `error: ${err.message}`));
await sleep(20);
const termAt = Date.now();
server.child.kill('SIGTERM');
const finalStatuses = await Promise.all(inFlight);
const exit = await Promise.race([exited, sleep(30_000).then(() => ({ code: 'did not exit within 30 s' }))]);
const exitMs = Date.now() - termAt;
finalAgent.destroy();
probeAgent.destroy();
rmSync(dir, { recursive: true, force: true });

// --- Verdict.
const failedLoad = result.errors + result.timeouts + result.non2xx;
const finalFailed = finalStatuses.filter((s) => s !== 200).length;
// Flat: after a full garbage collection, the heap in use at the end is no more than 10 % (or
// 10 MiB) above the start. RSS between collections follows the collector's schedule: reported only.
const heapFlat = memoryEnd.heapUsedMiB <= Math.max(memoryStart.heapUsedMiB * 1.1, memoryStart.heapUsedMiB + 10);
const rssPeak = Math.max(...rss);
const checks = {
  'no failed load request': failedLoad === 0,
  'no failed fresh-connection request': fresh.failed === 0,
  'every certificate rotation served on new connections': events.rotationsObserved === events.rotations && events.rotations > 0,
  'every configuration reload in force': events.reloadsObserved === events.reloads && events.reloads > 0,
  'invalid configurations rejected, last good one kept': events.invalidKeptServing === events.invalidConfigs,
  'every in-flight review answered on SIGTERM': finalFailed === 0,
  'exit code 0 after SIGTERM': exit.code === 0,
  'memory flat (heap in use after a full garbage collection)': heapFlat,
};
const f = (n, d = 1) => Number(n).toFixed(d);
console.log(`## Soak: ${minutes} min, ${opts.connections} keep-alive connections + one fresh TLS connection per review\n`);
console.log(`- load: ${result.requests.total} reviews, ${f(result.requests.average, 0)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; failed: ${failedLoad} (errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx})`);
console.log(`- fresh connections: ${fresh.ok} reviews, ${fresh.failed} failed${fresh.failures.length ? ` (${fresh.failures.join('; ')})` : ''}`);
console.log(`- certificate rotations: ${events.rotations}, served on new connections: ${events.rotationsObserved}, logged by the server: ${counts.rotatedLogged}`);
console.log(`- configuration reloads: ${events.reloads}, in force: ${events.reloadsObserved}, logged: ${counts.reloadedLogged}; invalid configurations: ${events.invalidConfigs}, rejected (logged): ${counts.rejectedLogged}, last good kept: ${events.invalidKeptServing}`);
console.log(`- SIGTERM with ${finalStatuses.length} reviews of 2,000-variable pods in flight: ${finalStatuses.length - finalFailed} answered 200${finalFailed ? `, failed: ${finalStatuses.filter((s) => s !== 200).join(', ')}` : ''}; exit code ${exit.code ?? exit.signal} after ${exitMs} ms`);
console.log(`- memory after a full garbage collection: heap in use ${f(memoryStart.heapUsedMiB)} MiB after the warm-up, ${f(memoryEnd.heapUsedMiB)} MiB at the end; RSS ${f(memoryStart.rssMiB)} and ${f(memoryEnd.rssMiB)} MiB (between collections RSS peaked at ${f(rssPeak)} MiB; ${rss.length} samples)`);
console.log(`- server log: ${counts.logLines} lines, ${counts.errorLogged} at error level (the rejected configurations)`);
console.log('');
for (const [name, ok] of Object.entries(checks)) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
