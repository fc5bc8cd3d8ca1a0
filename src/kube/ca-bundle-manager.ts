/**
 * `serve --manage-ca-bundle`: keeps the webhook configuration's caBundle equal to the CA that
 * signed our serving certificate, repairs drift (a GitOps sync, a manual edit) as soon as a watch
 * event reports it and at every interval, and during a CA change serves a bundle with the old and
 * the new CA so that no call fails while replicas roll. Only the holder of the Lease writes.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { describeKubeError, Watch, type KubeClients } from './client.js';
import { tryAcquireLease, type LeaseOptions } from './lease.js';
import { syncCaBundle } from './registration.js';

export interface CaBundleManagerOptions {
  clients: KubeClients;
  configName: string;
  caFile: string;
  lease: LeaseOptions;
  logger: Logger;
  intervalMs?: number;
}

export class CaBundleManager {
  private current = '';
  private previous = '';
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Counts writes, for tests and logs. */
  writes = 0;
  leader = false;

  constructor(private readonly options: CaBundleManagerOptions) {}

  /** The PEM bundle the configuration should hold. */
  bundle(): string {
    return [this.current, this.previous].filter((ca) => ca !== '').join('\n');
  }

  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.intervalMs ?? 30_000);
    this.timer.unref();
    void this.watch();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.abort?.abort();
  }

  /** One round: reread the CA, take or renew the lease, write the bundle if it drifted. Serialised. */
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
    if (!this.leader) return;
    if (await syncCaBundle(clients, configName, `${this.bundle()}\n`)) {
      this.writes++;
      logger.info({ configuration: configName }, 'caBundle written');
    }
  }

  private async watch(): Promise<void> {
    const { clients, configName, logger } = this.options;
    const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
    try {
      this.abort = await new Watch(clients.kc).watch(
        path,
        { fieldSelector: `metadata.name=${configName}` },
        (type) => {
          if (type === 'MODIFIED' || type === 'ADDED') void this.sync();
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
