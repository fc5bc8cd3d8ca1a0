/**
 * The process logger: JSON lines (pino), human-readable only when stdout is a terminal.
 * Every line of a review carries the review's identity (see admission/review.ts).
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

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
  const sink = pino.destination({ dest: options.destination ?? 1, sync: false, contentMode: 'buffer' });
  return pino({ level, base: { service: 'sidecar-injector' } }, lineBytes(sink));
}

type Sink = ReturnType<typeof pino.destination>;

/**
 * The sink, given each line's bytes. Given text, the sink measures the UTF-8 length of all the
 * text waiting behind a write in flight on every new line, which copies it whole each time: with
 * a few hundred reviews per turn of the event loop, several KiB per line. Bytes carry their length.
 */
function lineBytes(sink: Sink): DestinationStream {
  return {
    write: (line: string) => sink.write(Buffer.from(line, 'utf8') as unknown as string),
    flush: (cb?: (err?: Error) => void) => sink.flush(cb),
    flushSync: () => sink.flushSync(),
  } as DestinationStream;
}
