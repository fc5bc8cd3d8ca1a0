/**
 * Prometheus metrics with Istio's injector names, and the plain-HTTP monitoring server that
 * exposes them (separate from the webhook's HTTPS port, like istiod's 15014).
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReviewOutcome } from '../admission/review.js';

export interface InjectorMetrics {
  registry: Registry;
  /** Records one answered review. */
  observeReview(outcome: ReviewOutcome): void;
  /** Records a configuration reload attempt. */
  observeConfigReload(success: boolean): void;
  /** Records the serving certificate's expiry (seconds since the epoch) and rotations. */
  observeCertificate(notAfter: Date, rotated: boolean): void;
}

/** Creates the metrics on a fresh registry (so tests and several servers never share counters). */
export function createMetrics(options: { processMetrics?: boolean } = {}): InjectorMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'sidecar_injection_requests_total', help: 'Total number of sidecar injection requests.', registers: [registry] });
  const success = new Counter({ name: 'sidecar_injection_success_total', help: 'Total number of successful sidecar injections.', registers: [registry] });
  const skip = new Counter({ name: 'sidecar_injection_skip_total', help: 'Total number of skipped sidecar injections, by reason.', labelNames: ['reason'], registers: [registry] });
  const failure = new Counter({ name: 'sidecar_injection_failure_total', help: 'Total number of failed sidecar injections, by reason.', labelNames: ['reason'], registers: [registry] });
  const time = new Histogram({
    name: 'sidecar_injection_time_seconds',
    help: 'Time taken to answer an injection request.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const reloads = new Counter({ name: 'sidecar_injector_config_reloads_total', help: 'Configuration reloads, by result.', labelNames: ['result'], registers: [registry] });
  const certExpiry = new Gauge({ name: 'sidecar_injector_certificate_expiry_seconds', help: 'Expiry of the serving certificate, in seconds since the Unix epoch.', registers: [registry] });
  const rotations = new Counter({ name: 'sidecar_injector_certificate_rotations_total', help: 'Serving certificates swapped in without a restart.', registers: [registry] });
  return {
    registry,
    observeReview(outcome) {
      requests.inc();
      time.observe(outcome.durationSeconds);
      switch (outcome.decision) {
        case 'injected':
          success.inc();
          break;
        case 'skipped':
        case 'not-applicable':
          skip.inc({ reason: outcome.reason });
          break;
        case 'denied':
        case 'error':
          failure.inc({ reason: outcome.reason });
          break;
      }
    },
    observeConfigReload(ok) {
      reloads.inc({ result: ok ? 'success' : 'failure' });
    },
    observeCertificate(notAfter, rotated) {
      certExpiry.set(Math.floor(notAfter.getTime() / 1000));
      if (rotated) rotations.inc();
    },
  };
}

/** Serves GET /metrics over plain HTTP; resolves with the bound port. */
export async function startMonitoringServer(metrics: InjectorMetrics, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('GET /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as { port: number }).port };
}
