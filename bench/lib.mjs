// Shared helpers of the benchmarks: child servers, load runs, serial latencies, process facts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:https';
import autocannon from 'autocannon';

/**
 * Starts a child process and resolves with the first line on stdout that `match` accepts, parsed
 * by `parse` (JSON by default). The child is Node running `args` unless `command` names another
 * program; `stderr: 'ignore'` discards its stderr (a peer that logs there).
 */
export function startChild(args, match, { timeoutMs = 15_000, stdout, env, command = process.execPath, parse = JSON.parse, stderr = 'inherit' } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', stderr], ...(env ? { env } : {}) });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start line from ${args.join(' ')} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        if (!match(line)) continue;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        // Keep draining stdout so the child's logging never blocks it.
        if (stdout) child.stdout.on('data', stdout);
        else child.stdout.resume();
        resolve({ child, info: parse(line) });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
}

/** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
export function stopChild(child, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.removeAllListeners('exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}

/** RSS of a process in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/**
 * The machine's CPU time counters from /proc/stat, in clock ticks: `steal` is time the hypervisor
 * gave this virtual machine's CPUs to someone else, which slows every measurement of a run.
 */
export function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/** The share of CPU time stolen by the hypervisor between two `machineTicks` readings, in %. */
export function stealPercent(before, after) {
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.steal - before.steal)) / total : 0;
}

/** CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * One autocannon run against `url` (16 keep-alive connections by default); returns requests/s,
 * latency percentiles in ms, counts, and the server's CPU time per request when `pid` is given.
 */
export async function load({ url, ca, body, connections = 16, duration, amount, pid }) {
  const cpuBefore = pid === undefined ? 0 : cpuMs(pid);
  const clientBefore = process.cpuUsage();
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
    timeout: 30,
    ...(amount ? { amount } : { duration }),
    tlsOptions: { ca, servername: 'localhost' },
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  const client = process.cpuUsage(clientBefore);
  const out = { rps: result.requests.average, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, total: result.requests.total, errors };
  // autocannon runs in this process: its CPU time is this process's (all threads).
  out.clientCpuUsPerRequest = (client.user + client.system) / Math.max(1, out.total);
  if (pid !== undefined) out.cpuUsPerRequest = ((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
  return out;
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-post.lua', import.meta.url));

/** True when wrk (the HTTP load generator written in C) is on the PATH. */
export function hasWrk() {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

/**
 * One wrk run (one thread, keep-alive) POSTing the file `bodyFile` to `url`: the figures of `load`,
 * plus the load generator's own CPU time per request. Bounded by `duration` seconds, or by
 * `amount` responses. wrk does not check the server's certificate.
 */
export async function wrkLoad({ url, bodyFile, connections = 16, duration, amount, pid }) {
  const cpuBefore = pid === undefined ? 0 : cpuMs(pid);
  // A shell runs wrk and, once it has exited, prints its own CPU counters: cutime and cstime are
  // the CPU time of the children it waited for, that is wrk's.
  const args = ['-t1', `-c${connections}`, `-d${amount ? 24 * 3600 : duration}s`, '--timeout', '60s', '-s', WRK_SCRIPT, url];
  const script = 'wrk "$@"; code=$?; echo; cat /proc/$$/stat; exit $code';
  const env = { ...process.env, BODY_FILE: bodyFile, MAX_REQUESTS: String(amount ?? 0) };
  const { code, stdout, stderr } = await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let interrupt;
    child.stdout.on('data', (c) => {
      out += c;
      // The count is reached: SIGINT to wrk (the shell's child), repeated until it exits, since
      // one that arrives before wrk's main thread starts sleeping is lost.
      if (interrupt === undefined && out.includes('wrk: requests reached')) {
        const signal = () => {
          try {
            const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
            for (const pid of children.split(' ').filter(Boolean)) process.kill(Number(pid), 'SIGINT');
          } catch {
            // wrk (or the shell) has exited already.
          }
        };
        signal();
        interrupt = setInterval(signal, 250);
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      clearInterval(interrupt);
      resolve({ code: exitCode, stdout: out, stderr: err });
    });
  });
  const lines = stdout.trim().split('\n');
  const result = lines.map((l) => (l.startsWith('{"requests"') ? JSON.parse(l) : undefined)).find(Boolean);
  if (code !== 0 || result === undefined) throw new Error(`wrk ${args.join(' ')} failed (exit ${code}): ${stderr || stdout}`);
  const stat = lines[lines.length - 1].split(') ')[1].split(' ');
  const clientCpuMs = (Number(stat[13]) + Number(stat[14])) * 10;
  const total = result.requests;
  const out = {
    rps: total / (result.durationUs / 1e6),
    p50: result.p50Us / 1000,
    p90: result.p90Us / 1000,
    p99: result.p99Us / 1000,
    max: result.maxUs / 1000,
    total,
    errors: result.errors + result.nonOk,
    clientCpuUsPerRequest: (clientCpuMs * 1000) / Math.max(1, total),
  };
  if (pid !== undefined) out.cpuUsPerRequest = ((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, total);
  return out;
}

/** POSTs one body and resolves with { status, body }. */
export function post(url, ca, body, agent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, agent, servername: 'localhost', headers: { 'content-type': 'application/json' }, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Median round-trip time in ms of `iterations` serial POSTs of `body` over one keep-alive connection. */
export async function serialLatency(url, ca, body, iterations) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) await post(url, ca, body, agent);
    const times = [];
    for (let i = 0; i < iterations; i++) {
      const started = process.hrtime.bigint();
      const { status } = await post(url, ca, body, agent);
      if (status !== 200) throw new Error(`status ${status} from ${url}`);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    agent.destroy();
  }
}

export const round = (n, digits = 2) => Number(Number(n).toFixed(digits));

/** The median of a list of numbers (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A server's figure over rounds of load: the median of each figure, and the sum of errors. */
export function medianRun(runs) {
  const out = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
  out.errors = runs.reduce((sum, r) => sum + r.errors, 0);
  return out;
}

/** The median over rounds of a server's figure (throughput by default) relative to a reference's in the same round. */
export const medianRatio = (runs, reference, key = 'rps') => median(runs.map((r, i) => r[key] / reference[i][key]));

/** Node options and environment that let `memoryAfterGc` ask a child server to collect its garbage. */
export function gcOnSignal(reportFile) {
  return { args: ['--expose-gc', '--import', './bench/gc-on-signal.mjs'], env: { ...process.env, GC_REPORT_FILE: reportFile } };
}

/** Has a child started with `gcOnSignal` collect all garbage; resolves with its heap in use and RSS in MiB. */
export async function memoryAfterGc(child, reportFile) {
  rmSync(reportFile, { force: true });
  child.kill('SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(reportFile); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(reportFile)) throw new Error(`no memory report from pid ${child.pid} within 5 s of SIGUSR2 (was it started with gcOnSignal?)`);
  const usage = JSON.parse(readFileSync(reportFile, 'utf8'));
  return { heapUsedMiB: usage.heapUsed / 2 ** 20, rssMiB: usage.rss / 2 ** 20 };
}

/** The least-squares slope of log(point[key]) against log(point.bytes): 1.0 is linear. */
export function logLogSlope(points, key) {
  const xs = points.map((p) => Math.log(p.bytes));
  const ys = points.map((p) => Math.log(p[key]));
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  return xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
}

/**
 * How a series of sizes grows: the largest time ratio between consecutive doublings, the log-log
 * slope of its top half (where fixed costs weigh least) and of the whole series.
 */
export function growth(points, key) {
  let worst = 0;
  for (let i = 1; i < points.length; i++) worst = Math.max(worst, points[i][key] / points[i - 1][key]);
  return { worstDoublingRatio: worst, slope: logLogSlope(points.slice(Math.floor(points.length / 2)), key), slopeAll: logLogSlope(points, key) };
}
