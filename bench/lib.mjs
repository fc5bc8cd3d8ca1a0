// Shared helpers of the benchmarks: child servers, load runs, review bodies of a given size.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import autocannon from 'autocannon';

/** Starts a child process and resolves with the first JSON line it prints on stdout. */
export function startChild(args, match) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no start line from ${args.join(' ')}`)), 15_000);
    const onData = (chunk) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!match(line)) continue;
        clearTimeout(timer);
        // Keep draining stdout so logging never blocks the server.
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, info: JSON.parse(line) });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

export function stopChild(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** RSS of a process in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** One autocannon run; returns requests/s and latency percentiles in ms. */
export async function load({ url, ca, body, connections = 16, duration, amount }) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
    ...(amount ? { amount } : { duration }),
    tlsOptions: { ca, servername: 'localhost' },
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, errors };
}

/** POSTs one body and returns the response body. */
export function post(url, ca, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A plain-pod review whose app container has `envCount` variables (about 40 bytes each). */
export function reviewWithEnv(base, envCount) {
  const review = structuredClone(base);
  review.request.uid = `bench-${envCount}`;
  review.request.object.spec.containers[0].env = Array.from({ length: envCount }, (_, i) => ({ name: `VARIABLE_${i}`, value: `value-number-${i}` }));
  return review;
}
