/**
 * The serving certificate as files that change under us: Kubernetes Secret volumes swap files
 * through symlinks, cert-manager renews them, so the files are polled and their bytes compared.
 * A new pair is checked (parses, key matches, not expired) before it replaces the current one.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
}

export interface FileCertificateSourceOptions {
  certFile: string;
  keyFile: string;
  logger: Logger;
  /** How often to look at the files (default 10 s). */
  intervalMs?: number;
  /** Warn this long before expiry (default 30 days). */
  warnBeforeMs?: number;
  /** Called after a new valid pair replaced the current one (or was loaded first). */
  onChange?: (pair: CertificatePair, rotated: boolean) => void;
}

/** Checks a pair; returns it with its expiry or throws a message a user can act on. */
export function checkPair(cert: Buffer, key: Buffer, now = new Date()): CertificatePair {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`the certificate is not valid PEM: ${(err as Error).message}`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`the key is not a valid PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error('the key does not belong to the certificate');
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new Error(`the certificate expired on ${notAfter.toISOString()}`);
  return { cert, key, notAfter };
}

export class FileCertificateSource {
  private current: CertificatePair | undefined;
  private lastBytes = '';
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWarning = 0;

  constructor(private readonly options: FileCertificateSourceOptions) {}

  /** The pair in use, if any valid one was loaded. */
  get(): CertificatePair | undefined {
    return this.current;
  }

  /** True while a valid, unexpired pair is loaded. */
  healthy(): boolean {
    return this.current !== undefined && this.current.notAfter.getTime() > Date.now();
  }

  /** Why the source is not healthy, for /readyz. */
  problem(): string | undefined {
    if (this.healthy()) return undefined;
    if (this.current !== undefined) return `the serving certificate expired on ${this.current.notAfter.toISOString()}`;
    return `no valid serving certificate in ${this.options.certFile}: ${this.lastError ?? 'not loaded yet'}`;
  }

  /** Loads once now, then polls. Never throws: problems are logged and reported by problem(). */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Reads the files; swaps in a changed, valid pair. Exposed for tests. */
  async poll(): Promise<void> {
    const { certFile, keyFile, logger } = this.options;
    let cert: Buffer;
    let key: Buffer;
    try {
      [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    } catch (err) {
      this.report(`cannot read ${certFile} or ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    const bytes = cert.toString('base64') + key.toString('base64');
    if (bytes !== this.lastBytes) {
      // Files of a Secret volume change together, but a poll can land between two writes:
      // an invalid pair is retried on the next poll, never swapped in.
      try {
        const pair = checkPair(cert, key);
        const rotated = this.current !== undefined;
        this.current = pair;
        this.lastBytes = bytes;
        this.lastError = undefined;
        logger.info({ certFile, notAfter: pair.notAfter.toISOString(), rotated }, rotated ? 'serving certificate rotated' : 'serving certificate loaded');
        this.options.onChange?.(pair, rotated);
      } catch (err) {
        this.report((err as Error).message);
      }
    }
    this.warnIfExpiring();
  }

  private report(message: string): void {
    if (message !== this.lastError) this.options.logger.error({ certFile: this.options.certFile, problem: message }, 'serving certificate not loaded; keeping the current one');
    this.lastError = message;
  }

  private warnIfExpiring(): void {
    if (this.current === undefined) return;
    const left = this.current.notAfter.getTime() - Date.now();
    const day = 86_400_000;
    if (left < (this.options.warnBeforeMs ?? 30 * day) && Date.now() - this.lastWarning > day) {
      this.lastWarning = Date.now();
      this.options.logger.warn({ notAfter: this.current.notAfter.toISOString(), daysLeft: Math.floor(left / day) }, 'serving certificate expires soon');
    }
  }
}
