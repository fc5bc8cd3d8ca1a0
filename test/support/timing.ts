/**
 * Time bounds that hold on a noisy, shared machine: CPU time of this process (not wall time, which
 * counts the time other processes take), bounds stated as ratios to a reference measured in the
 * same run, the reference measured in batches (its median), the case measured as the best of a few
 * tries, and the whole check tried again before it fails.
 */
import assert from 'node:assert/strict';
import { runWithin, WatchdogTimeout } from '../../src/admission/watchdog.js';

/** CPU time of the process, in ms. */
export function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU ms of one call of `fn`, the best of `tries`; a call is interrupted after `limitMs` of wall time. */
export function bestCpuMs(fn: () => unknown, tries = 3, limitMs = 20_000): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const started = cpuNow();
    try {
      runWithin(limitMs, fn);
    } catch (err) {
      if (err instanceof WatchdogTimeout) return Infinity;
      // The function may throw (a refused value); its time is what counts.
    }
    best = Math.min(best, cpuNow() - started);
  }
  return best;
}

/** CPU ms per call of `fn`: the median of 7 batches of `calls`. */
export function perCallCpuMs(fn: () => unknown, calls = 500): number {
  const swallow = () => {
    try {
      fn();
    } catch {
      // as above
    }
  };
  for (let i = 0; i < calls; i++) swallow();
  const batches: number[] = [];
  for (let b = 0; b < 7; b++) {
    const started = cpuNow();
    for (let i = 0; i < calls; i++) swallow();
    batches.push((cpuNow() - started) / calls);
  }
  batches.sort((a, b) => a - b);
  return batches[3]!;
}

/**
 * Asserts that `worst` takes at most `bound` times what `normal` takes (CPU time), trying the whole
 * measurement up to three times: noise makes a slow try now and then, a quadratic cost never passes.
 */
export function assertTimeRatio(what: string, normal: () => unknown, worst: () => unknown, bound: number, calls = 500): void {
  let ratio = Infinity;
  let detail = '';
  for (let attempt = 0; attempt < 3 && !(ratio <= bound); attempt++) {
    const reference = perCallCpuMs(normal, calls);
    // Never less than 1 µs: below that, the clock's resolution decides the ratio.
    const base = Math.max(reference, 0.001);
    const limit = Math.min(60_000, Math.max(2_000, base * bound * 3));
    const worstMs = bestCpuMs(worst, 3, limit);
    ratio = worstMs / base;
    detail = `${what}: ${worstMs === Infinity ? `over ${Math.round(limit)} ms (interrupted)` : `${worstMs.toFixed(2)} ms`} against ${(reference * 1000).toFixed(2)} µs for a normal value: ×${Math.round(ratio)}, bound ×${bound}`;
  }
  assert.ok(ratio <= bound, detail);
}
