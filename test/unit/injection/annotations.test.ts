import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InjectorError } from '../../../src/errors.js';
import { validateAnnotations } from '../../../src/injection/annotations.js';

describe('validateAnnotations', () => {
  const valid: Record<string, string>[] = [
    { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '*' },
    { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8, fd00::/8' },
    { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '' },
    { 'traffic.sidecar.istio.io/includeInboundPorts': '*' },
    { 'traffic.sidecar.istio.io/excludeInboundPorts': '4,5,6' },
    { 'status.sidecar.istio.io/port': '0' },
    { 'sidecar.istio.io/interceptionMode': 'TPROXY' },
    { 'sidecar.istio.io/proxyCPU': '500m', 'sidecar.istio.io/proxyMemoryLimit': '1Gi' },
    { 'sidecar.istio.io/userVolume': '{"v":{"emptyDir":{}}}' },
  ];
  for (const annotations of valid) {
    it(`accepts ${JSON.stringify(annotations)}`, () => validateAnnotations(annotations));
  }

  const invalid: Array<[Record<string, string>, RegExp]> = [
    [{ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/33' }, /invalid value '10.0.0.0\/33' for annotation 'traffic.sidecar.istio.io\/includeOutboundIPRanges' \(includeIPRanges\): '10.0.0.0\/33' is not a CIDR/],
    [{ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '*' }, /excludeIPRanges/],
    [{ 'traffic.sidecar.istio.io/excludeInboundPorts': '*' }, /excludeInboundPorts.*'\*' is not a port number/],
    [{ 'traffic.sidecar.istio.io/excludeOutboundPorts': '80,http' }, /'http' is not a port number/],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '70000' }, /'70000' is not a port number/],
    [{ 'sidecar.istio.io/interceptionMode': 'redirect' }, /must be REDIRECT, TPROXY or NONE/],
    [{ 'status.sidecar.istio.io/port': 'x' }, /not a port number/],
    [{ 'readiness.status.sidecar.istio.io/periodSeconds': '-1' }, /not a non-negative integer/],
    [{ 'sidecar.istio.io/proxyMemory': 'lots' }, /not a memory quantity/],
    [{ 'sidecar.istio.io/userVolumeMount': '[1]' }, /not a JSON object/],
  ];
  for (const [annotations, message] of invalid) {
    it(`refuses ${JSON.stringify(annotations)}`, () => {
      assert.throws(
        () => validateAnnotations(annotations),
        (err: unknown) => err instanceof InjectorError && err.code === 'INVALID_ANNOTATION' && message.test(err.message),
      );
    });
  }
});
