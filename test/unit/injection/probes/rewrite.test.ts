import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rewriteAppProbes } from '../../../../src/injection/probes/index.js';
import type { JsonObject, Pod } from '../../../../src/injection/types.js';

function podWith(container: JsonObject, annotations: Record<string, string> = {}): Pod {
  return { metadata: { annotations }, spec: { containers: [{ name: 'app', ...container }, { name: 'istio-proxy', readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } } }] } };
}

describe('rewriteAppProbes', () => {
  const cases: Array<[string, JsonObject, JsonObject]> = [
    ['HTTP keeps its other fields', { livenessProbe: { httpGet: { path: '/live', port: 'http', host: 'h', httpHeaders: [{ name: 'a', value: 'b' }] }, periodSeconds: 3 } },
      { livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15020, host: 'h', httpHeaders: [{ name: 'a', value: 'b' }] }, periodSeconds: 3 } }],
    ['HTTPS becomes HTTP', { readinessProbe: { httpGet: { port: 443, scheme: 'HTTPS' } } }, { readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 15020, scheme: 'HTTP' } } }],
    ['TCP becomes HTTP', { readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 2 } }, { readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 15020 }, timeoutSeconds: 2 } }],
    ['gRPC becomes HTTP', { startupProbe: { grpc: { port: 9000 } } }, { startupProbe: { httpGet: { path: '/app-health/app/startupz', port: 15020 } } }],
    ['hooks', { lifecycle: { preStop: { tcpSocket: { port: 1 } }, postStart: { httpGet: { port: 2, path: '/p' } } } },
      { lifecycle: { preStop: { httpGet: { path: '/app-lifecycle/app/prestopz', port: 15020 } }, postStart: { httpGet: { path: '/app-lifecycle/app/poststartz', port: 15020 } } } }],
    ['exec and sleep untouched', { livenessProbe: { exec: { command: ['x'] } }, lifecycle: { preStop: { sleep: { seconds: 1 } } } },
      { livenessProbe: { exec: { command: ['x'] } }, lifecycle: { preStop: { sleep: { seconds: 1 } } } }],
    // An undeclared named port is still pointed at the agent (Istio does so; the agent has no entry).
    ['undeclared named port', { livenessProbe: { httpGet: { port: 'nope' } } }, { livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15020 } } }],
  ];
  for (const [title, input, expected] of cases) {
    it(title, () => {
      const p = podWith(structuredClone(input));
      rewriteAppProbes(p, 15020);
      assert.deepEqual(p.spec!.containers[0], { name: 'app', ...expected });
      assert.deepEqual(p.spec!.containers[1].readinessProbe, { httpGet: { path: '/healthz/ready', port: 15021 } });
    });
  }

  it('is idempotent', () => {
    const p = podWith({ readinessProbe: { tcpSocket: { port: 80 } } });
    rewriteAppProbes(p, 15020);
    const once = structuredClone(p);
    rewriteAppProbes(p, 15020);
    assert.deepEqual(p, once);
  });

  it('does nothing when disabled or with status port 0', () => {
    for (const [annotations, port] of [[{ 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' }, 15020], [{}, 0]] as const) {
      const p = podWith({ readinessProbe: { httpGet: { port: 80 } } }, annotations);
      rewriteAppProbes(p, port);
      assert.deepEqual(p.spec!.containers[0].readinessProbe, { httpGet: { port: 80 } });
    }
  });

  it('is linear in pod size', () => {
    const containers = Array.from({ length: 2000 }, (_, i) => ({ name: `c${i}`, ports: [{ name: 'p', containerPort: 80 }], livenessProbe: { httpGet: { port: 'p' } } }));
    const big: Pod = { metadata: {}, spec: { containers } };
    const start = performance.now();
    rewriteAppProbes(big, 15020);
    assert.ok(performance.now() - start < 500);
    assert.equal(big.spec!.containers[1999].livenessProbe.httpGet.path, '/app-health/c1999/livez');
  });
});
