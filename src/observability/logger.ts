/**
 * The process logger: JSON lines (pino), human-readable only when stdout is a terminal.
 * Every line of a review carries the review's identity (see admission/review.ts).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (not pretty ones): a file descriptor or a file's path. Default: stdout. */
  destination?: number | string;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // Written asynchronously: the lines logged while a write is in flight go out together in the
  // next one. Synchronous writes cost a system call per review (about 5% of a plain review's CPU,
  // measured with bench/review-cpu.mjs). Lines still buffered when the process exits are written
  // then (pino flushes its destinations on exit).
  return pino({ level, base: { service: 'sidecar-injector' } }, pino.destination({ dest: options.destination ?? 1, sync: false }));
}
