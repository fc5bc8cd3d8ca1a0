/** Metrics: Istio's names, one series per reason, millisecond buckets, the monitoring server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReviewOutcome } from '../../../src/admission/review.js';
import { createMetrics, startMonitoringServer } from '../../../src/observability/metrics.js';

function outcome(decision: ReviewOutcome['decision'], reason: string, durationSeconds: number): ReviewOutcome {
  return { uid: 'u', namespace: 'shop', pod: 'web', operation: 'CREATE', dryRun: false, decision, reason, durationSeconds, patchOps: 0 };
}

describe('injector metrics', () => {
  it('counts every review once and splits skips and failures by reason', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeReview(outcome('injected', 'policy-enabled', 0.002));
    metrics.observeReview(outcome('injected', 'label-opt-in', 0.002));
    metrics.observeReview(outcome('skipped', 'host-network', 0.0004));
    metrics.observeReview(outcome('not-applicable', 'not-a-pod', 0.0004));
    metrics.observeReview(outcome('skipped', 'host-network', 0.0004));
    metrics.observeReview(outcome('denied', 'invalid-annotation', 0.001));
    metrics.observeReview(outcome('error', 'injection-failed', 0.3));
    const text = await metrics.registry.metrics();
    assert.match(text, /^sidecar_injection_requests_total 7$/m);
    assert.match(text, /^sidecar_injection_success_total 2$/m);
    assert.match(text, /^sidecar_injection_skip_total\{reason="host-network"\} 2$/m);
    assert.match(text, /^sidecar_injection_skip_total\{reason="not-a-pod"\} 1$/m);
    assert.match(text, /^sidecar_injection_failure_total\{reason="invalid-annotation"\} 1$/m);
    assert.match(text, /^sidecar_injection_failure_total\{reason="injection-failed"\} 1$/m);
  });

  it('has buckets fine enough to tell half a millisecond from two', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeReview(outcome('skipped', 'host-network', 0.0004));
    metrics.observeReview(outcome('injected', 'policy-enabled', 0.002));
    const text = await metrics.registry.metrics();
    assert.match(text, /^sidecar_injection_time_seconds_bucket\{le="0.0005"\} 1$/m);
    assert.match(text, /^sidecar_injection_time_seconds_bucket\{le="0.001"\} 1$/m);
    assert.match(text, /^sidecar_injection_time_seconds_bucket\{le="0.0025"\} 2$/m);
    assert.match(text, /^sidecar_injection_time_seconds_count 2$/m);
  });

  it('exports the certificate expiry in seconds since the epoch, and counts rotations but not the first load', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeCertificate(new Date('2027-01-01T00:00:00Z'), false);
    metrics.observeCertificate(new Date('2027-06-01T00:00:00Z'), true);
    const text = await metrics.registry.metrics();
    assert.match(text, new RegExp(`^sidecar_injector_certificate_expiry_seconds ${Date.parse('2027-06-01T00:00:00Z') / 1000}$`, 'm'));
    assert.match(text, /^sidecar_injector_certificate_rotations_total 1$/m);
  });

  it('counts configuration reloads by result', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeConfigReload(true);
    metrics.observeConfigReload(true);
    metrics.observeConfigReload(false);
    const text = await metrics.registry.metrics();
    assert.match(text, /^sidecar_injector_config_reloads_total\{result="success"\} 2$/m);
    assert.match(text, /^sidecar_injector_config_reloads_total\{result="failure"\} 1$/m);
  });

  it('keeps separate registries apart, so two servers in one process never share counters', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.observeReview(outcome('injected', 'policy-enabled', 0.001));
    assert.match(await b.registry.metrics(), /^sidecar_injection_requests_total 0$/m);
  });
});

describe('monitoring server', () => {
  it('serves /metrics over plain HTTP with process metrics, and 404 elsewhere', async () => {
    const metrics = createMetrics();
    const monitoring = await startMonitoringServer(metrics, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${monitoring.port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^process_cpu_seconds_total \d/m);
      assert.match(text, /^process_resident_memory_bytes \d/m);
      assert.match(text, /^# TYPE sidecar_injection_time_seconds histogram$/m);
      const other = await fetch(`http://127.0.0.1:${monitoring.port}/inject`);
      assert.equal(other.status, 404);
      await other.text();
    } finally {
      await new Promise((resolve) => monitoring.server.close(resolve));
    }
  });
});
