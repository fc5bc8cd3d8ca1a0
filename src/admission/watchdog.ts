/**
 * Runs a synchronous function with a hard time limit. Node has one way to interrupt JavaScript
 * that does not yield (a long loop, a regular expression backtracking for minutes): a `vm` script
 * run with `timeout`, whose watchdog thread terminates the execution. The function runs in this
 * realm (the script only calls it), so what it builds is ordinary data.
 *
 * Each call starts a thread: about 0.1 ms, more than a plain review costs, which is why reviews
 * run under it only when they are large (see budget.ts).
 */
import vm from 'node:vm';

/** Made on first use: a context costs a few milliseconds, and most servers never watch a review. */
let runner: { context: vm.Context; script: vm.Script } | undefined;

export class WatchdogTimeout extends Error {
  constructor(readonly ms: number) {
    super(`interrupted after ${Math.round(ms)} ms`);
    this.name = 'WatchdogTimeout';
  }
}

/** `fn()`, or WatchdogTimeout once it has run for `ms` milliseconds. */
export function runWithin<T>(ms: number, fn: () => T): T {
  runner ??= { context: vm.createContext({ task: undefined }), script: new vm.Script('task()', { filename: 'sidecar-injector-watchdog' }) };
  const { context, script } = runner;
  let result: T | undefined;
  context.task = () => {
    result = fn();
  };
  try {
    // vm's timeout is a whole number of milliseconds, at least 1.
    script.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new WatchdogTimeout(ms);
    throw err;
  } finally {
    context.task = undefined;
  }
  return result as T;
}
