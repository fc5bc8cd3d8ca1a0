/**
 * Every parser of a pod's input runs in time linear in it. Each is fed the worst values we found
 * (long runs of what it looks for, broken at the end) at the largest size it can meet, 256 KiB,
 * all the annotations the apiserver lets a pod carry (or the parser's own cap, when smaller), and
 * must take at most LENGTH times a normal value's parse: a parser that is linear takes well under
 * that (a few nanoseconds per character against a microsecond per value), a quadratic one takes a
 * hundred times over it (every character costs another pass).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig } from '../../../../src/config/index.js';
import { render, type Pod } from '../../../../src/injection/index.js';
import { reviewFixture } from '../../../support/fixtures.js';
import { parseGoDuration } from '../../../../src/admission/budget.js';
import { validateAnnotations } from '../../../../src/injection/annotations/index.js';
import { readUserJsonMap } from '../../../../src/injection/user-volumes.js';
import { goTrimSpace, parseCidrList, parseGoBool, parseGoUint, parseInterfaceList, parsePort, parsePortList, proxyConfigProblem } from '../../../../src/injection/annotations/index.js';
import { MAX_YAML_ANNOTATION_CHARS } from '../../../../src/injection/annotations/yaml-value.js';
import { readOverrides, readProbers, readStatus } from '../../../../src/injection/previous-injection.js';
import { mergeAppProbers } from '../../../../src/injection/probes/index.js';
import { protoDuration } from '../../../../src/injection/proxy-config-check.js';
import { canonicalQuantity, isValidQuantity } from '../../../../src/injection/quantity.js';
import { podTypeProblem } from '../../../../src/patch/go-types.js';
import { assertTimeRatio, bestCpuMs } from '../../../support/timing.js';

/** What all of a pod's annotations may hold (the apiserver's TotalAnnotationSizeLimitB). */
const MAX = 256 * 1024;

/** `unit` repeated to about `size` characters, between `head` and `tail`. */
function run(unit: string, size = MAX, head = '', tail = ''): string {
  return head + unit.repeat(Math.floor((size - head.length - tail.length) / unit.length)) + tail;
}

function linear(what: string, normal: () => unknown, worsts: Record<string, () => unknown>, size = MAX): void {
  for (const [shape, worst] of Object.entries(worsts)) {
    it(`${what}: ${shape}`, () => assertTimeRatio(`${what} of ${shape}`, normal, worst, size));
  }
}

describe('parsers take time linear in their input (worst value at the largest size, against a normal value)', () => {
  linear('quantities', () => canonicalQuantity('100m'), {
    'digits then a letter': () => isValidQuantity(run('1', MAX, '', 'x')),
    'digits, a fraction, a letter': () => isValidQuantity(run('1', MAX, '', '.1x')),
    'one then zeros': () => canonicalQuantity(run('0', MAX, '1')),
    'a long fraction': () => canonicalQuantity(run('0', MAX, '0.', '1')),
    'zeros and a negative exponent': () => canonicalQuantity(run('0', MAX - 8, '1', `e-${MAX}`)),
    'digits and a binary suffix': () => canonicalQuantity(run('9', MAX, '0.', 'Ki')),
  });

  linear('Go TrimSpace', () => goTrimSpace(' 8080 '), {
    'spaces between two letters': () => goTrimSpace(run(' ', MAX, 'a', 'a')),
    'no-break spaces': () => goTrimSpace(run('\u00a0', MAX, '1', '1')),
  });

  linear('ports', () => parsePortList('8080,8443', false), {
    'spaces inside one entry': () => parsePortList(run(' ', MAX, '1', '1'), false),
    'many entries': () => parsePortList(run('1,', MAX, '', '1'), false),
    'spaced entries': () => parsePortList(run(' 1 ,', MAX), true),
    'one port padded with spaces': () => parsePort(run(' ', MAX, '1', '1')),
  });

  linear('CIDR lists', () => parseCidrList('10.0.0.0/8', false), {
    'many CIDRs': () => parseCidrList(run('10.0.0.0/8,', MAX, '', '10.0.0.0/8'), true),
    'dots': () => parseCidrList(run('1.', MAX, '', '/1'), false),
    'IPv6 groups': () => parseCidrList(run('1:', MAX, '', '/1'), false),
    'colons': () => parseCidrList(run(':', MAX, '', '/1'), false),
    'slashes': () => parseCidrList(run('/', MAX), false),
  });

  linear('interface lists', () => parseInterfaceList('eth1'), {
    'spaces inside one name': () => parseInterfaceList(run(' ', MAX, 'a', 'a')),
    'many names': () => parseInterfaceList(run('eth0,', MAX, '', 'eth0')),
    'one long name': () => parseInterfaceList(run('a', MAX)),
  });

  linear('Go integers and booleans', () => parseGoUint('15', 32), {
    'digits': () => parseGoUint(run('1', MAX), 32),
    'digits then a letter': () => parseGoUint(run('1', MAX, '', 'x'), 16),
    'a long boolean': () => parseGoBool(run('t', MAX)),
  });

  linear('Go durations', () => protoDuration('1m30s'), {
    'digits without a unit': () => protoDuration(run('1', MAX)),
    'numbers with dots': () => protoDuration(run('1.', MAX)),
    'many parts': () => protoDuration(run('1h', MAX)),
    "the apiserver's ?timeout=": () => parseGoDuration(run('1', MAX, '', 's')),
  });

  // Read (and refused) where the templates write them, as Istio's templates read them.
  const VOLUME = 'sidecar.istio.io/userVolume';
  const MOUNT = 'sidecar.istio.io/userVolumeMount';
  linear('JSON annotations (user volumes and mounts)', () => readUserJsonMap('{"certs":{"secret":{"secretName":"c"}}}', VOLUME), {
    'many volumes': () => readUserJsonMap(`{${Array.from({ length: MAX / 26 }, (_, i) => `"v${i}":{"emptyDir":{}}`).join(',')}}`, VOLUME),
    'deep nesting': () => readUserJsonMap(`{"v":${run('[', MAX / 2)}${run(']', MAX / 2)}}`, VOLUME),
    'a deep volume': () => readUserJsonMap(`{"v":{"emptyDir":${'{"a":'.repeat(Math.floor(MAX / 6))}1${'}'.repeat(Math.floor(MAX / 6))}}}`, VOLUME),
    'many mounts': () => readUserJsonMap(`{${Array.from({ length: MAX / 30 }, (_, i) => `"v${i}":{"mountPath":"/m"}`).join(',')}}`, MOUNT),
    'many volumes as a list': () => readUserJsonMap(`[${run('{"emptyDir":{}},', MAX - 20)}{"emptyDir":{}}]`, VOLUME),
    'names that are no DNS label': () => readUserJsonMap(`{"${run('a', MAX - 40)}_":{"emptyDir":{}}}`, VOLUME),
  });

  linear('what an earlier injection recorded', () => readStatus('{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}'), {
    'a status listing many names': () => readStatus(`{"containers":[${run('"istio-proxy",', MAX)}"x"]}`),
    'many probers': () => readProbers(`{${Array.from({ length: MAX / 48 }, (_, i) => `"/app-health/c${i}/livez":{"httpGet":{"port":80}}`).join(',')}}`),
    'many overrides': () => readOverrides(`{"containers":[${run('{"name":"istio-proxy"},', MAX)}{"name":"x"}]}`),
    'merged probers': () => mergeAppProbers(`{${Array.from({ length: MAX / 48 }, (_, i) => `"/app-health/c${i}/livez":{"httpGet":{"port":80}}`).join(',')}}`, new Map()),
  });

  linear('all validated annotations at once', () => validateAnnotations({ 'sidecar.istio.io/proxyCPU': '100m', 'traffic.sidecar.istio.io/includeInboundPorts': '8080' }), {
    'each the worst run for its parser': () =>
      validateAnnotations({
        'sidecar.istio.io/proxyCPU': run('1', MAX / 8, '', 'x'),
        'traffic.sidecar.istio.io/includeInboundPorts': run(' ', MAX / 8, '1', '1'),
        'traffic.sidecar.istio.io/excludeOutboundIPRanges': run('1.', MAX / 8, '', '/1'),
        'traffic.sidecar.istio.io/excludeInterfaces': run(' ', MAX / 8, 'a', 'a'),
        'status.sidecar.istio.io/port': run(' ', MAX / 8, '1', '1'),
        'readiness.status.sidecar.istio.io/periodSeconds': run('1', MAX / 8, '', 'x'),
        'proxy.istio.io/config': run('"', MAX / 8),
      }),
  });

  it('a pod of 8 MiB is type-checked in time linear in its size', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', env: Array.from({ length: 100_000 }, (_, i) => ({ name: `V${i}`, value: `value ${i}` })) }] } };
    assertTimeRatio('a pod with 100,000 variables', () => podTypeProblem({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }), () => podTypeProblem(pod), 100_000 * 20);
  });
});

describe('proxy.istio.io/config is capped, and the YAML parser is linear below the cap', () => {
  const capped = MAX_YAML_ANNOTATION_CHARS;
  const shapes: Record<string, (size: number) => string> = {
    quotes: (size) => run('"', size),
    tags: (size) => run('!a ', size),
    anchors: (size) => run('&a ', size),
    'flow map': (size) => `{${run('a: 1,', size - 2)}}`,
    'nested keys': (size) => run('a: ', size),
    'a duration without units': (size) => `parentShutdownDuration: "${run('1', size - 40)}x"`,
  };
  for (const [shape, make] of Object.entries(shapes)) {
    it(`${shape}: at the cap against a normal value, and against a quarter of the cap`, () => {
      assertTimeRatio(`a ProxyConfig of ${shape}`, () => proxyConfigProblem('holdApplicationUntilProxyStarts: true'), () => proxyConfigProblem(make(capped)), capped);
      // Linear: four times the text, about four times the time (a quadratic parser: sixteen).
      let growth = Infinity;
      for (let attempt = 0; attempt < 3 && growth > 10; attempt++) growth = bestCpuMs(() => proxyConfigProblem(make(capped))) / bestCpuMs(() => proxyConfigProblem(make(capped / 4)));
      assert.ok(growth <= 10, `${shape}: four times the text took ×${growth.toFixed(1)} the time`);
    });
  }
  it('refuses longer values before parsing them', () => {
    assert.match(proxyConfigProblem(run('"', MAX)) ?? '', /more than the 8192 read as YAML/);
  });
});

describe('rendering takes time linear in the annotations it reads (the worst at 256 KiB, against a plain pod)', () => {
  const cni = buildConfig({ values: { global: { proxy: { tracer: 'datadog' } }, pilot: { cni: { enabled: true, provider: 'multus' } } } });
  const plainPod = () => reviewFixture('pod-plain').request.object;
  const withAnnotation = (name: string, value: string) => {
    const pod = plainPod();
    pod.metadata.annotations = { [name]: value };
    return pod;
  };
  const renderOf = (pod: unknown, config = defaultConfig()) => () => render({ pod: pod as Pod, namespace: 'demo' }, config);
  // A whole render is the unit here (tens of microseconds), so the bound is tighter than the parsers':
  // a linear render of 256 KiB takes a few hundred renders, a quadratic one hundreds of thousands.
  const BOUND = 5000;
  const cases: Array<[string, () => unknown, () => unknown]> = [
    ['a template list', renderOf(withAnnotation('inject.istio.io/templates', run('sidecar,', MAX - 40))), renderOf(plainPod())],
    ['Prometheus scrape targets', renderOf(withAnnotation('prometheus.istio.io/scrape-targets', run(' 1 ,', MAX - 40))), renderOf(plainPod())],
    ['an earlier status listing many names', renderOf(withAnnotation('sidecar.istio.io/status', `{"containers":[${run('"istio-proxy",', MAX - 60)}"x"]}`)), renderOf(plainPod())],
    ['overrides repeating a container', renderOf(withAnnotation('proxy.istio.io/overrides', `{"containers":[${run('{"name":"istio-proxy"},', MAX - 60)}{"name":"x"}]}`)), renderOf(plainPod())],
    ['multus networks', renderOf(withAnnotation('k8s.v1.cni.cncf.io/networks', `[${run('{"name":"a"},', MAX - 40)}{"name":"a"}]`), cni), renderOf(plainPod(), cni)],
    ['Datadog variables', renderOf(withAnnotation('apm.datadoghq.com/env', `{${Array.from({ length: MAX / 20 }, (_, i) => `"K${i}":"v${i}"`).join(',')}}`), cni), renderOf(plainPod(), cni)],
  ];
  for (const [what, worst, normal] of cases) {
    it(what, () => assertTimeRatio(`rendering ${what}`, normal, worst, BOUND, 100));
  }
});
