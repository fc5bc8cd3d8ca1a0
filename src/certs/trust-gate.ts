/**
 * Holds back a rotated serving certificate until the published caBundle trusts it.
 *
 * When the CA changes, the new certificate and the new CA reach the replicas' volumes at about the
 * same time, but the caBundle gains the new CA only once the Lease holder has written it. A replica
 * that swapped in its new certificate before that would fail every new connection from the
 * apiserver (`x509: certificate signed by unknown authority`) and, with failurePolicy Fail, the
 * pods behind them. So a rotated pair is used only once the caBundle has trusted it for a moment
 * (`settleMs`): apiservers read the configuration through informers, a little after it is
 * written, and a replica must not be quicker than they are. The current pair keeps serving
 * meanwhile (the old CA stays in the bundle during the change). The first pair is used at once
 * (there is nothing else to serve), and a held pair replaces an expired current one.
 */
import type { Logger } from '../observability/logger.js';
import type { CertificatePair } from './file-source.js';

/** How long the caBundle must have trusted a held certificate before it is served. */
export const DEFAULT_SETTLE_MS = 3000;

export interface TrustGateOptions {
  /** Puts a pair into service (setSecureContext). */
  apply(pair: CertificatePair): void;
  /** Whether the published caBundle trusts the certificate. */
  trusted(cert: Buffer): boolean;
  logger: Logger;
  settleMs?: number;
  now?: () => number;
}

export class TrustGate {
  private current: CertificatePair | undefined;
  private held: CertificatePair | undefined;
  private trustedSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TrustGateOptions) {}

  /** The pair in service. */
  inService(): CertificatePair | undefined {
    return this.current;
  }

  /** The pair waiting for the caBundle, if any. */
  waiting(): CertificatePair | undefined {
    return this.held;
  }

  /** A new pair from the certificate source: used now, or held until trusted. */
  offer(pair: CertificatePair): void {
    this.held = pair;
    this.trustedSince = undefined;
    if (!this.recheck()) {
      const settleMs = this.options.settleMs ?? DEFAULT_SETTLE_MS;
      this.options.logger.warn({ notAfter: pair.notAfter.toISOString(), settleMs }, "new serving certificate waiting: served once the webhook configuration's caBundle has trusted its CA for settleMs");
    }
  }

  /**
   * Puts the held pair into service if it may be now; call it when the caBundle changed. True
   * when no pair is left waiting.
   */
  recheck(): boolean {
    const pair = this.held;
    if (pair === undefined) return true;
    const now = this.options.now?.() ?? Date.now();
    const first = this.current === undefined;
    const expired = this.current !== undefined && this.current.notAfter.getTime() <= now;
    if (!first && !expired && !this.settled(pair, now)) return false;
    this.held = undefined;
    this.trustedSince = undefined;
    this.current = pair;
    this.options.apply(pair);
    if (first) return true;
    if (this.options.trusted(pair.cert)) this.options.logger.info({ notAfter: pair.notAfter.toISOString() }, 'serving certificate in service: the caBundle trusts it');
    else this.options.logger.warn('serving certificate put in service untrusted: the one it replaces has expired');
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Trusted for settleMs already; else (re)arms a recheck for when it will be. */
  private settled(pair: CertificatePair, now: number): boolean {
    if (!this.options.trusted(pair.cert)) {
      this.trustedSince = undefined;
      return false;
    }
    const settleMs = this.options.settleMs ?? DEFAULT_SETTLE_MS;
    this.trustedSince ??= now;
    const left = this.trustedSince + settleMs - now;
    if (left <= 0) return true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.recheck(), left);
    this.timer.unref();
    return false;
  }
}
