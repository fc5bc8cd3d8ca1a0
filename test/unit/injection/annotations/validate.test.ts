import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InjectorError } from '../../../../src/errors.js';
import { VALIDATED_ANNOTATIONS, validateAnnotations } from '../../../../src/injection/annotations/index.js';

const T = 'traffic.sidecar.istio.io/';

function refusal(annotations: Record<string, string>): InjectorError {
  try {
    validateAnnotations(annotations);
  } catch (err) {
    assert.ok(err instanceof InjectorError);
    assert.equal(err.code, 'INVALID_ANNOTATION');
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(annotations)}`);
}

describe('validateAnnotations accepts what Istio accepts', () => {
  const valid: Array<[string, string]> = [
    [`${T}includeOutboundIPRanges`, '*'], [`${T}includeOutboundIPRanges`, ''],
    [`${T}includeOutboundIPRanges`, '127.0.0.1/24,10.96.0.1/24'], [`${T}includeOutboundIPRanges`, '0.0.0.0/0,::/0'],
    [`${T}excludeOutboundIPRanges`, '10.96.0.2/24,10.96.0.3/24'], [`${T}excludeOutboundIPRanges`, 'fd00::/8,::ffff:10.0.0.1/128'],
    [`${T}excludeOutboundIPRanges`, '2001:db8:0:0:0:0:0:1/64'], [`${T}excludeOutboundIPRanges`, '1:2:3:4:5:6:7::/112'],
    [`${T}includeInboundPorts`, '*'], [`${T}includeInboundPorts`, ''], [`${T}includeInboundPorts`, '1,2,3'],
    [`${T}includeInboundPorts`, ' 80 , 443 '], [`${T}excludeInboundPorts`, '4,5,6'], [`${T}excludeInboundPorts`, '0,65535'],
    [`${T}excludeOutboundPorts`, '0080'],
    // Istio does not validate these: a typo is passed on, never refused.
    [`${T}includeOutboundPorts`, 'bad'], ['readiness.status.sidecar.istio.io/applicationPorts', 'x'],
    ['sidecar.istio.io/userVolume', '{"v":{"emptyDir":{}}}'], ['sidecar.istio.io/userVolumeMount', 'null'], ['sidecar.istio.io/userVolumeMount', '[]'], ['sidecar.istio.io/userVolume', '[{"emptyDir":{}}]'],
    // Read by the templates that use them, not validated before (see the render tests).
    ['sidecar.istio.io/userVolume', 'not json'], ['sidecar.istio.io/inject', 'maybe'], ['sidecar.istio.io/logLevel', 'anything'],
    ['status.sidecar.istio.io/port', '0'], ['status.sidecar.istio.io/port', ' 15020 '],
    ['readiness.status.sidecar.istio.io/periodSeconds', '4294967295'], ['readiness.status.sidecar.istio.io/failureThreshold', '0'],
    ['sidecar.istio.io/interceptionMode', 'REDIRECT'], ['sidecar.istio.io/interceptionMode', 'TPROXY'], ['sidecar.istio.io/interceptionMode', 'NONE'],
    [`${T}excludeInterfaces`, 'eth1, net1.100'], [`${T}kubevirtInterfaces`, 'net1,net2'], ['istio.io/reroute-virtual-interfaces', 'net1ps5,net2qr9'],
    [`${T}excludeInterfaces`, ''], ['prometheus.istio.io/merge-metrics', 'False'], ['prometheus.istio.io/merge-metrics', '1'],
    ['sidecar.istio.io/proxyCPU', '500m'], ['sidecar.istio.io/proxyMemoryLimit', '1Gi'], ['sidecar.istio.io/proxyMemory', '1e9'],
    ['proxy.istio.io/config', '{ "holdApplicationUntilProxyStarts": true }'], ['proxy.istio.io/config', 'concurrency: 2\ndrainDuration: 23s\n'],
    ['proxy.istio.io/config', ''], ['proxy.istio.io/config', 'discoveryAddress: istiod.istio-system.svc:15012\nstatusPort: 15021'],
  ];
  for (const [name, value] of valid) {
    it(`${name}: ${JSON.stringify(value)}`, () => validateAnnotations({ [name]: value }));
  }
});

describe('validateAnnotations refuses what Istio refuses, naming the parameter', () => {
  // The fragment is what the message must contain; the conformance cases look for Istio's lower-cased parameter names.
  const invalid: Array<[string, string, string]> = [
    [`${T}includeOutboundIPRanges`, 'bad', `invalid value 'bad' for annotation '${T}includeOutboundIPRanges': includeIPRanges invalid: failed parsing cidr 'bad'`],
    [`${T}includeOutboundIPRanges`, '10.0.0.0/33', 'prefix length out of range'],
    [`${T}includeOutboundIPRanges`, '10.0.0.0/8, 172.16.0.0/12', "failed parsing cidr ' 172.16.0.0/12'"],
    [`${T}includeOutboundIPRanges`, ' *', 'includeIPRanges invalid'],
    [`${T}includeOutboundIPRanges`, '010.0.0.0/8', 'leading zero'],
    [`${T}includeOutboundIPRanges`, '10.0.0.0/08', 'bad bits after slash'],
    [`${T}includeOutboundIPRanges`, '10.0.0.0', "no '/'"],
    [`${T}includeOutboundIPRanges`, 'fe80::1%eth0/64', 'zones'],
    [`${T}includeOutboundIPRanges`, '1:2:3:4:5:6:7:8::/64', 'at least one field of zeros'],
    [`${T}includeOutboundIPRanges`, '1::2::3/64', 'more than one'],
    [`${T}includeOutboundIPRanges`, '10.0.0.0/8,', "failed parsing cidr ''"],
    [`${T}excludeOutboundIPRanges`, '*', 'excludeIPRanges invalid'],
    [`${T}includeInboundPorts`, 'bad', "includeInboundPorts invalid: failed parsing port 'bad'"],
    [`${T}includeInboundPorts`, '70000', "failed parsing port '70000'"],
    [`${T}excludeInboundPorts`, '*', 'excludeInboundPorts invalid'],
    [`${T}excludeInboundPorts`, '80,', "failed parsing port ''"],
    [`${T}excludeOutboundPorts`, 'bad', 'excludeOutboundPorts invalid'],
    [`${T}excludeOutboundPorts`, '-1', "failed parsing port '-1'"],
    ['status.sidecar.istio.io/port', 'x', 'statusPort invalid'],
    ['status.sidecar.istio.io/port', '65536', 'statusPort invalid'],
    ['readiness.status.sidecar.istio.io/initialDelaySeconds', '-1', 'not an unsigned 32-bit integer'],
    ['readiness.status.sidecar.istio.io/periodSeconds', ' 5', 'not an unsigned 32-bit integer'],
    ['readiness.status.sidecar.istio.io/failureThreshold', '4294967296', 'not an unsigned 32-bit integer'],
    ['sidecar.istio.io/interceptionMode', 'redirect', 'interceptionMode invalid, use REDIRECT,TPROXY,NONE: redirect'],
    [`${T}excludeInterfaces`, 'eth0,,eth1', 'empty interface name'],
    [`${T}kubevirtInterfaces`, 'averyveryverylongname', 'too long'],
    ['istio.io/reroute-virtual-interfaces', '1net', 'invalid characters'],
    ['prometheus.istio.io/merge-metrics', 'yes', "'yes' is not a boolean"],
    ['sidecar.istio.io/proxyCPU', '1 core', 'not a quantity'],
    ['sidecar.istio.io/proxyMemory', '128Mi\n', 'not a quantity'],
    ['proxy.istio.io/config', 'a: [', 'failed to convert to apply proxy config'],
    ['proxy.istio.io/config', '- a', 'not a mapping'],
    ['proxy.istio.io/config', 'statusPort: 0', 'invalid status port: port number 0 must be in the range 1..65535'],
    ['proxy.istio.io/config', 'proxyAdminPort: 70000', 'invalid proxy admin port'],
    ['proxy.istio.io/config', 'drainDuration: 1.5s', 'seconds precision'],
    ['proxy.istio.io/config', 'drainDuration: 0s', 'greater than 1ms'],
    ['proxy.istio.io/config', 'drainDuration: 45', 'not a duration'],
    ['proxy.istio.io/config', 'discoveryAddress: istiod', 'invalid discovery address'],
    ['proxy.istio.io/config', 'configPath: ""', 'config path must be set'],
  ];
  for (const [name, value, fragment] of invalid) {
    it(`${name}: ${JSON.stringify(value)}`, () => {
      const err = refusal({ [name]: value });
      assert.ok(err.message.includes(fragment), `${err.message} should contain ${fragment}`);
      assert.ok(err.message.startsWith(`invalid value '${value}' for annotation '${name}': `), err.message);
    });
  }

  it('reports every invalid annotation, sorted by name', () => {
    const err = refusal({ [`${T}excludeOutboundPorts`]: 'x', 'sidecar.istio.io/interceptionMode': 'y', [`${T}excludeInboundPorts`]: '1' });
    const parts = err.message.split('; ');
    assert.equal(parts.length, 2);
    assert.match(parts[0]!, /^invalid value 'y' for annotation 'sidecar.istio.io\/interceptionMode'/);
    assert.match(parts[1]!, /^invalid value 'x' for annotation 'traffic.sidecar.istio.io\/excludeOutboundPorts'/);
  });

  it('refuses a proxy.istio.io/config too long or nested too deeply to read as YAML, before parsing it', () => {
    const cases: Array<[string, RegExp]> = [
      ['a: '.repeat(3000), /9000 characters, more than the 8192 read as YAML/],
      ['{'.repeat(65), /nested 65 levels deep .*more than the 64 read as YAML/],
      ['a: ' + '['.repeat(40) + '{x: '.repeat(30), /nested 70 levels deep/],
      ['- '.repeat(65) + 'x', /nested 65 levels deep/],
      [Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'), /nested 6\d levels deep|nested 7\d levels deep/],
    ];
    for (const [value, expected] of cases) {
      const started = process.hrtime.bigint();
      const err = refusal({ 'proxy.istio.io/config': value });
      assert.ok(Number(process.hrtime.bigint() - started) < 50e6, 'refused without parsing');
      assert.match(err.message, /for annotation 'proxy.istio.io\/config': failed to convert to apply proxy config: /);
      assert.match(err.message, expected);
    }
    // Real configurations nest a few levels and stay far below the bounds.
    const nested = 'proxyMetadata:\n  A: "[{b}]"\ntracing:\n  zipkin:\n    address: zipkin:9411\nproxyStatsMatcher:\n  inclusionRegexps: [".*outlier.*", "[a-z]+"]';
    assert.doesNotThrow(() => validateAnnotations({ 'proxy.istio.io/config': nested }));
    assert.doesNotThrow(() => validateAnnotations({ 'proxy.istio.io/config': `proxyMetadata: {${Array.from({ length: 300 }, (_, i) => `K${i}: v`).join(', ')}}` }));
  });

  it('quotes long values in part, saying how long they are', () => {
    const err = refusal({ 'sidecar.istio.io/proxyCPU': 'x'.repeat(100_000), 'sidecar.istio.io/interceptionMode': 'y'.repeat(100_000) });
    assert.ok(err.message.length < 2000, `${err.message.length} characters`);
    assert.match(err.message, /^invalid value 'y{256}\.\.\. \(100000 characters\)' for annotation 'sidecar.istio.io\/interceptionMode': interceptionMode invalid, use REDIRECT,TPROXY,NONE: y{100,}/);
    assert.match(err.message, /; invalid value 'x{256}\.\.\. \(100000 characters\)' for annotation 'sidecar.istio.io\/proxyCPU': /);
  });

  it('lists the validated annotations', () => {
    assert.equal(VALIDATED_ANNOTATIONS.length, 19);
    assert.ok(!VALIDATED_ANNOTATIONS.includes(`${T}includeOutboundPorts`));
    // Read (and refused when unreadable) by the templates that use them.
    assert.ok(!VALIDATED_ANNOTATIONS.includes('sidecar.istio.io/userVolume'));
  });
});
