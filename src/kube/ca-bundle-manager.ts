/**
 * `serve --manage-ca-bundle`: keeps the webhook configuration's caBundle equal to the CA that
 * signed our serving certificate, repairs drift (a GitOps sync, a manual edit) as soon as a watch
 * event reports it and at every round, and during a CA change serves a bundle with the old and
 * the new CA so that no call fails while replicas roll. Only the holder of the Lease writes.
 *
 * Every replica also follows what is published, so that `trusts()` can tell whether the caBundle
 * trusts a certificate (see certs/trust-gate.ts: a rotated certificate waits for it).
 */
import { readFile } from 'node:fs/promises';
import { bundleTrusts } from '../certs/trust.js';
import type { Logger } from '../observability/logger.js';
import { describeKubeError, Watch, type KubeClients } from './client.js';
import { tryAcquireLease, type LeaseOptions } from './lease.js';
import { readWebhookConfiguration, syncCaBundle } from './registration.js';

/** Default Lease duration; the holder renews, and the others try, every third of it. */
export const DEFAULT_LEASE_SECONDS = 30;

export interface CaBundleManagerOptions {
  clients: KubeClients;
  configName: string;
  caFile: string;
  lease: LeaseOptions;
  logger: Logger;
  /** Between rounds; default a third of the Lease duration, so the holder renews in time. */
  intervalMs?: number;
  /** Called when the published caBundle changed (read, written or reported by the watch). */
  onPublished?: () => void;
}

export class CaBundleManager {
  private current = '';
  private previous = '';
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private running: Promise<void> = Promise.resolve();
  /** The caBundle of each webhook as last seen in the configuration (PEM); undefined before. */
  private published: string[] | undefined;
  /** Counts writes, for tests and logs. */
  writes = 0;
  leader = false;

  constructor(private readonly options: CaBundleManagerOptions) {}

  /** The PEM bundle the configuration should hold. */
  bundle(): string {
    return [this.current, this.previous].filter((ca) => ca !== '').join('\n');
  }

  /** Whether every webhook's published caBundle trusts `cert` (PEM); false until one was seen. */
  trusts(cert: string | Buffer): boolean {
    return this.published !== undefined && this.published.length > 0 && this.published.every((bundle) => bundleTrusts(bundle, cert));
  }

  /** Time between rounds: a third of the Lease duration unless set, so the holder renews in time. */
  roundMs(): number {
    return this.options.intervalMs ?? ((this.options.lease.durationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000) / 3;
  }

  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.roundMs());
    this.timer.unref();
    void this.watch();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.abort?.abort();
  }

  /**
   * One round: reread the CA, take or renew the lease, write the bundle if it drifted (holder)
   * or read what is published (the others). Serialised. Call it when the CA file may have changed.
   */
  sync(): Promise<void> {
    this.running = this.running.then(() => this.round()).catch((err: unknown) => {
      this.options.logger.error({ problem: describeKubeError(err) }, 'caBundle sync failed; retrying at the next round');
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const { clients, configName, caFile, lease, logger } = this.options;
    const ca = (await readFile(caFile, 'utf8')).trim();
    if (ca !== this.current) {
      if (this.current !== '') {
        this.previous = this.current;
        logger.info({ caFile }, 'CA changed: the caBundle holds the old and the new CA');
      }
      this.current = ca;
    }
    this.leader = await tryAcquireLease(clients, lease);
    if (!this.leader) {
      this.observe(await readWebhookConfiguration(clients, configName));
      return;
    }
    const { written, configuration } = await syncCaBundle(clients, configName, `${this.bundle()}\n`);
    if (written) {
      this.writes++;
      logger.info({ configuration: configName }, 'caBundle written');
    }
    this.observe(configuration);
  }

  private observe(configuration: any): void {
    const bundles = ((configuration?.webhooks ?? []) as any[]).map((w) => Buffer.from(w.clientConfig?.caBundle ?? '', 'base64').toString());
    if (this.published !== undefined && bundles.length === this.published.length && bundles.every((b, i) => b === this.published![i])) return;
    this.published = bundles;
    this.options.onPublished?.();
  }

  private async watch(): Promise<void> {
    const { clients, configName, logger } = this.options;
    const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
    try {
      this.abort = await new Watch(clients.kc).watch(
        path,
        { fieldSelector: `metadata.name=${configName}` },
        (type, object) => {
          if (type === 'MODIFIED' || type === 'ADDED') {
            this.observe(object);
            void this.sync();
          }
        },
        (err) => {
          if (err !== null && err !== undefined && (err as Error).name !== 'AbortError') logger.warn({ problem: describeKubeError(err) }, 'watch of the webhook configuration ended; the periodic check continues');
        },
      );
    } catch (err) {
      logger.warn({ problem: describeKubeError(err) }, 'cannot watch the webhook configuration; the periodic check continues');
    }
  }
}
