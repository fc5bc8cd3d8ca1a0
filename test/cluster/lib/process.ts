/**
 * Child processes of a local control plane: each one's output goes to a log file, an unexpected
 * exit is noticed at once, and stop() ends it (SIGTERM, then SIGKILL after a grace period) and
 * waits until it is gone, so nothing outlives the control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;
  private stopping = false;

  constructor(name: string, command: string, args: string[], options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv; onUnexpectedExit?: (p: ManagedProcess) => void }) {
    this.name = name;
    this.logFile = options.logFile;
    const fd = openSync(options.logFile, 'a');
    try {
      // Own process group: a Ctrl-C in the terminal reaches only the supervising node process,
      // which then stops the children in order (apiserver before etcd) instead of all at once.
      this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitDescription = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve();
        if (!this.stopping) options.onUnexpectedExit?.(this);
      });
      this.child.on('error', (err) => {
        this.exitDescription = `could not start: ${err.message}`;
        resolve();
        if (!this.stopping) options.onUnexpectedExit?.(this);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** undefined while running; how it ended otherwise. */
  get exit(): string | undefined {
    return this.exitDescription;
  }

  /** The last lines of its log, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.exitDescription !== undefined || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
/** Ports handed out by freePort in this process: never handed out twice. */
const handedOut = new Set<number>();

/**
 * A port free on 127.0.0.1 now, and not handed out before in this run. The port is released before
 * its user binds it, so two servers started at once could otherwise be given the same one (the
 * kernel may hand a released port out again at once); the second would then fail to bind while a
 * readiness check on that port was answered by the first.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port that was not handed out before');
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
