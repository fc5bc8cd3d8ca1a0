/**
 * proxy.istio.io/config read as Istio reads it (found by differential fuzzing against Istio).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goDurationNanos, normalizeProxyConfig, proxyConfigReadProblem } from '../../../src/injection/proxy-config-check.js';

describe('reading a ProxyConfig as Istio does', () => {
  it('accepts what protobuf JSON accepts, unknown fields included', () => {
    for (const text of ['', 'null', '{}', 'concurrency: 2', 'concurrency: "2"', 'holdApplicationUntilProxyStarts: yes', 'drainDuration: 1m30s', 'interceptionMode: TPROXY', 'hold_application_until_proxy_starts: true', 'nope: 1', 'proxyMetadata: {A: "b"}', 'tracing: {sampling: 10}']) {
      assert.equal(proxyConfigReadProblem(text), undefined, text);
    }
  });

  it('refuses values of the wrong type, reading YAML 1.1 as go-yaml does', () => {
    const cases: Array<[string, RegExp]> = [
      ['concurrency: x', /concurrency: string "x" is not an int32/],
      ['holdApplicationUntilProxyStarts: maybe', /holdApplicationUntilProxyStarts: string "maybe" is not a boolean/],
      ['proxyMetadata: {X: y}', /proxyMetadata\.X: boolean true is not a string/],
      ['interceptionMode: X', /interceptionMode: string "X" is not one of REDIRECT, TPROXY, NONE/],
      ['drainDuration: 45', /drainDuration: number 45 is not a duration/],
      ['[]', /not a mapping of ProxyConfig fields/],
      ['concurrency: .inf', /json: unsupported value/],
    ];
    for (const [text, problem] of cases) assert.match(proxyConfigReadProblem(text) ?? '', problem, text);
  });

  it('writes the fields as protobuf JSON names them and types them', () => {
    assert.deepEqual(normalizeProxyConfig({ hold_application_until_proxy_starts: true, concurrency: '3', nope: 1, interceptionMode: 1 }), { concurrency: 3, interceptionMode: 'TPROXY', holdApplicationUntilProxyStarts: true });
  });

  it("reads durations as Go's time.ParseDuration does", () => {
    assert.equal(goDurationNanos('1m30s'), 90_000_000_000n);
    assert.equal(goDurationNanos('1.5h'), 5_400_000_000_000n);
    assert.equal(goDurationNanos('0'), 0n);
    for (const bad of ['45', '1x', '', 's', '1.5']) assert.equal(goDurationNanos(bad), undefined, bad);
  });
});
