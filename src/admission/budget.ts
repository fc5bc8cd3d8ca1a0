/**
 * The time a review may take: a share of the timeout the apiserver gives the webhook call (its
 * `?timeout=` query parameter, 10 s by default). Node runs one review at a time, so a review that
 * overstays also holds up every review behind it; stopping it at a share of the timeout answers
 * it in time (by the `--on-internal-error` policy) and leaves the rest of the timeout to the others.
 *
 * How a review is held to it:
 * - between its stages (decide, render, diff, verify), a checkpoint ends it once the budget is
 *   spent: a few clock reads, nothing else;
 * - a review whose body is at least `watchdogBytes` long runs under a watchdog (a `vm` timeout,
 *   which interrupts even a single long regular expression) set to the time left. It costs about
 *   0.1 ms a review (a thread), so small reviews, whose parsers are all linear and capped, go
 *   without it.
 */
import { InjectorError } from '../errors.js';

/** The apiserver's default webhook timeout, and its largest. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
export const MAX_TIMEOUT_SECONDS = 30;
/** The share of the apiserver's timeout a review may take, unless configured. */
export const DEFAULT_BUDGET_SHARE = 0.5;
/** Reviews this long or longer run under the watchdog, unless configured. */
export const DEFAULT_WATCHDOG_BYTES = 64 * 1024;

const UNIT_SECONDS: ReadonlyArray<readonly [string, number]> = [
  ['ns', 1e-9],
  ['us', 1e-6],
  ['µs', 1e-6], // U+00B5 micro sign
  ['μs', 1e-6], // U+03BC Greek mu
  ['ms', 1e-3],
  ['s', 1],
  ['m', 60],
  ['h', 3600],
];

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * Go's time.ParseDuration, in seconds: `[+-]` then one or more `<number><unit>` (`10s`, `9.5s`,
 * `1m0s`, `850ms`; client-go writes the timeout with Duration.String). Undefined when it is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  if (text === '0') return 0;
  let i = text[0] === '+' || text[0] === '-' ? 1 : 0;
  const sign = text[0] === '-' ? -1 : 1;
  if (i === text.length) return undefined;
  let total = 0;
  while (i < text.length) {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    let digits = i - start;
    if (text[i] === '.') {
      i++;
      const fraction = i;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      digits += i - fraction;
    }
    if (digits === 0) return undefined;
    const number = Number(text.slice(start, i));
    const unit = UNIT_SECONDS.find(([name]) => text.startsWith(name, i));
    if (unit === undefined) return undefined;
    i += unit[0].length;
    total += number * unit[1];
  }
  return sign * total;
}

/** The time one review may take, from when its body arrived. */
export class ReviewBudget {
  /** When the budget is spent, on the performance.now() clock. */
  readonly deadline: number;

  constructor(
    readonly startedAt: number,
    /** The budget, in ms. */
    readonly ms: number,
    /** The apiserver's timeout for the call, in seconds. */
    readonly timeoutSeconds: number,
    readonly share: number,
  ) {
    this.deadline = startedAt + ms;
  }

  /**
   * The budget for a review the apiserver sent with `?timeout=<timeoutParam>`: `share` of it
   * (10 s when absent or unreadable; at most 30 s, the apiserver's own limit).
   */
  static of(startedAt: number, timeoutParam: unknown, share: number): ReviewBudget {
    // '10s', the apiserver's default, is what nearly every call carries.
    const parsed = timeoutParam === '10s' ? 10 : typeof timeoutParam === 'string' ? parseGoDuration(timeoutParam) : undefined;
    const timeout = parsed === undefined || parsed <= 0 ? DEFAULT_TIMEOUT_SECONDS : Math.min(parsed, MAX_TIMEOUT_SECONDS);
    return new ReviewBudget(startedAt, timeout * share * 1000, timeout, share);
  }

  /** Milliseconds left (0 when spent). */
  remaining(now = performance.now()): number {
    return Math.max(0, this.deadline - now);
  }

  /** Ends the review (REVIEW_BUDGET_EXCEEDED) when the budget is spent; `next` names the stage it would start. */
  checkpoint(next: string): void {
    const now = performance.now();
    if (now > this.deadline) throw this.exceeded(`before ${next}`, now);
  }

  /** The error a review over budget ends with, saying why. */
  exceeded(where: string, now = performance.now()): InjectorError {
    const timeout = `${Number(this.timeoutSeconds.toFixed(3))}s`;
    return new InjectorError(
      'REVIEW_BUDGET_EXCEEDED',
      `the review took longer than its budget of ${Math.round(this.ms)} ms (${this.share} of the apiserver's timeout of ${timeout}; ${Math.round(now - this.startedAt)} ms spent, stopped ${where}), so it was answered without waiting for the injection to finish`,
    );
  }
}
