#!/usr/bin/env node
// npm run bench:hostile: for every annotation Istio reads, the worst value we can build at the
// apiserver's limit (256 KiB of annotations in all), and the time one review of a pod carrying it
// takes in process (parse the body, decode, decide, render, diff, verify, serialise), against a
// plain pod's review in the same run. Candidates are screened at a small size first; the slowest
// few per annotation are then measured at full size. Each measurement runs under a vm timeout, so
// a review that would take minutes is reported as such instead of stalling the run.
// Options: --timeout S      per measurement (default 150)
//          --screen BYTES   screening size (default 16384)
//          --top N          candidates per annotation measured at full size (default 2)
//          --all            measure every candidate at full size, without screening (for fast builds)
//          --only TEXT      only annotations whose name contains TEXT
//          --json FILE      write the results as JSON too
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { pino } from 'pino';
import { decodeReview, serializeReview } from '../dist/admission/index.js';
import { handleReview } from '../dist/admission/review.js';
import { buildConfig, defaultConfig } from '../dist/config/index.js';
import { median, round } from './lib.mjs';
import { fixture } from './pods.mjs';

const { values: opts } = parseArgs({
  options: {
    timeout: { type: 'string', default: '150' },
    screen: { type: 'string', default: '16384' },
    top: { type: 'string', default: '2' },
    only: { type: 'string' },
    json: { type: 'string' },
    all: { type: 'boolean', default: false },
  },
});
const TIMEOUT_MS = Number(opts.timeout) * 1000;
/** The apiserver's limit on all annotations of an object, keys and values (TotalAnnotationSizeLimitB). */
const ANNOTATIONS_LIMIT = 256 * 1024;
const log = (...args) => console.error(`[hostile ${new Date().toISOString().slice(11, 19)}]`, ...args);

const logger = pino({ level: 'silent' });
const configs = {
  default: defaultConfig(),
  // The annotations read only in these modes: the Datadog tracer, and CNI with multus.
  datadog: buildConfig({ values: { global: { proxy: { tracer: 'datadog' } } } }),
  multus: buildConfig({ values: { pilot: { cni: { enabled: true, provider: 'multus' } } } }),
};

/** Annotations Istio reads (README, "Pod annotations and labels"), with the mode they are read in. */
const ANNOTATIONS = [
  'sidecar.istio.io/inject', 'inject.istio.io/templates', 'sidecar.istio.io/nativeSidecar', 'sidecar.istio.io/interceptionMode',
  'traffic.sidecar.istio.io/includeOutboundIPRanges', 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  'traffic.sidecar.istio.io/includeInboundPorts', 'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/includeOutboundPorts', 'traffic.sidecar.istio.io/excludeOutboundPorts',
  'traffic.sidecar.istio.io/excludeInterfaces', 'traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces',
  'status.sidecar.istio.io/port', 'readiness.status.sidecar.istio.io/initialDelaySeconds', 'readiness.status.sidecar.istio.io/periodSeconds',
  'readiness.status.sidecar.istio.io/failureThreshold', 'readiness.status.sidecar.istio.io/applicationPorts',
  'sidecar.istio.io/proxyCPU', 'sidecar.istio.io/proxyMemory', 'sidecar.istio.io/proxyCPULimit', 'sidecar.istio.io/proxyMemoryLimit',
  'sidecar.istio.io/proxyImage', 'sidecar.istio.io/proxyImageType', 'sidecar.istio.io/logLevel', 'sidecar.istio.io/componentLogLevel',
  'sidecar.istio.io/agentLogLevel', 'sidecar.istio.io/bootstrapOverride', 'sidecar.istio.io/userVolume', 'sidecar.istio.io/userVolumeMount',
  'sidecar.istio.io/capNetBindService', 'sidecar.istio.io/rewriteAppHTTPProbers', 'proxy.istio.io/config', 'prometheus.istio.io/merge-metrics',
  'prometheus.io/scrape', 'prometheus.io/port', 'prometheus.io/path', 'prometheus.istio.io/scrape-targets',
  'kubectl.kubernetes.io/default-container', 'kubectl.kubernetes.io/default-logs-container',
  'sidecar.istio.io/status', 'proxy.istio.io/overrides',
].map((name) => ({ name, config: 'default' }));
ANNOTATIONS.push({ name: 'apm.datadoghq.com/env', config: 'datadog' }, { name: 'k8s.v1.cni.cncf.io/networks', config: 'multus' });
// In CNI mode the traffic annotations are also copied and re-read.
for (const name of ['traffic.sidecar.istio.io/includeOutboundIPRanges', 'traffic.sidecar.istio.io/excludeInboundPorts', 'traffic.sidecar.istio.io/excludeInterfaces']) {
  ANNOTATIONS.push({ name, config: 'multus' });
}

const fill = (unit, n, head = '', tail = '') => head + unit.repeat(Math.max(0, Math.floor((n - head.length - tail.length) / unit.length))) + tail;
/** Values of about `n` characters: runs of what the parsers look for, broken at the end or not. */
const CANDIDATES = {
  'digits+x': (n) => fill('1', n, '', 'x'),
  digits: (n) => fill('1', n),
  'one+zeros': (n) => fill('0', n, '1'),
  'zeros+one': (n) => fill('0', n, '0.', '1'),
  'one+zeros+exp': (n) => fill('0', n, '1', `e-${n}`),
  'digits+dot+x': (n) => fill('1', n, '', '.1x'),
  'spaces inside': (n) => fill(' ', n, 'a', 'a'),
  'spaces inside digits': (n) => fill(' ', n, '1', '1'),
  'nbsp inside': (n) => fill('\u00a0', n, '1', '1'),
  spaces: (n) => fill(' ', n),
  'list of 1': (n) => fill('1,', n),
  'list of spaced 1': (n) => fill(' 1 ,', n),
  commas: (n) => fill(',', n),
  cidrs: (n) => fill('10.0.0.0/8,', n, '', '10.0.0.0/8'),
  'cidr-ish': (n) => fill('1.', n, '', '/1'),
  colons: (n) => fill(':', n, '', '/1'),
  'ipv6 groups': (n) => fill('1:', n, '', '/1'),
  slashes: (n) => fill('/', n),
  interfaces: (n) => fill('eth0,', n, '', 'eth0'),
  letters: (n) => fill('a', n),
  'letters+!': (n) => fill('a', n, '', '!'),
  'open braces': (n) => fill('{', n),
  'open brackets': (n) => fill('[', n),
  quotes: (n) => fill('"', n),
  'yaml tags': (n) => fill('!a ', n),
  'yaml anchors': (n) => fill('&a ', n),
  'yaml aliases': (n) => fill('*a ', n),
  'yaml dashes': (n) => fill('- ', n),
  'yaml keys': (n) => fill('a: ', n),
  'yaml ?': (n) => fill('? ', n),
  'json keys': (n) => `{${Array.from({ length: Math.floor(n / 24) }, (_, i) => `"v${i}":{"emptyDir":{}}`).join(',')}}`,
  'json nesting': (n) => `{"v":${fill('[', n / 2)}${']'.repeat(Math.floor(n / 2))}}`,
  'json null list': (n) => `[${fill('null,', n)}null]`,
  templates: (n) => fill('sidecar,', n, '', 'sidecar'),
  'template names': (n) => fill('grpc-agent,gateway,', n, '', 'sidecar'),
  'durations': (n) => fill('1h', n),
  'scrape targets': (n) => fill('8080:/m,', n),
  'status lists': (n) => `{"containers":[${fill('"istio-proxy",', n)}"x"],"initContainers":[],"volumes":[],"imagePullSecrets":[],"revision":"default"}`,
  'overrides': (n) => `{"containers":[${fill('{"name":"istio-proxy"},', n)}{"name":"istio-proxy"}]}`,
  'datadog env': (n) => `{${Array.from({ length: Math.floor(n / 18) }, (_, i) => `"K${i}":"v${i}"`).join(',')}}`,
  'multus list': (n) => `[${fill('{"name":"a"},', n)}{"name":"a"}]`,
  'proxy config durations': (n) => `parentShutdownDuration: "${fill('1', n - 40)}x"\n`,
  'proxy config address': (n) => `discoveryAddress: ${fill('a', n - 40)}\n`,
  'proxy config drain': (n) => `drainDuration: ${fill('1', n - 40)}x\n`,
  'proxy config metadata': (n) => `proxyMetadata:\n${Array.from({ length: Math.floor(n / 14) }, (_, i) => `  K${i}: "v"`).join('\n')}\n`,
};

const base = fixture('pod-plain');
function bodyWith(name, value) {
  const review = structuredClone(base);
  review.request.object.metadata.annotations = { [name]: value };
  return JSON.stringify(review);
}

/** One review as the route handles it: parse, decode, answer, serialise. */
function reviewOnce(body, config) {
  const decoded = decodeReview(JSON.parse(body));
  const { review, outcome } = handleReview(decoded, { config, logger, onInternalError: 'allow' });
  serializeReview(review);
  return outcome;
}

const script = new vm.Script('task()');
const context = vm.createContext({ task: null });
/** Wall and CPU ms of one review, or a timeout; the outcome's decision and reason. */
function measure(body, config, timeoutMs = TIMEOUT_MS) {
  let outcome;
  context.task = () => {
    outcome = reviewOnce(body, config);
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    script.runInContext(context, { timeout: timeoutMs });
  } catch (err) {
    if (err.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { wallMs: performance.now() - started, cpuMs: 0, outcome: `threw ${err.message}` };
    return { wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu), outcome: 'timeout', timedOut: true };
  } finally {
    context.task = null;
  }
  return { wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu), outcome: `${outcome.decision}: ${outcome.reason}` };
}
const cpuMsSince = (before) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

/** The median of `runs` measurements (one when a single one takes long). */
function settle(body, config) {
  const first = measure(body, config);
  if (first.timedOut || first.wallMs > 200) return first;
  const runs = [first, ...Array.from({ length: 4 }, () => measure(body, config))];
  return { ...first, wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

// The plain pod, many times: the reference every figure is divided by.
const plainBody = JSON.stringify(base);
for (let i = 0; i < 500; i++) reviewOnce(plainBody, configs.default);
// Called directly: a vm timeout costs about 0.1 ms per call, more than the review itself.
const plainRuns = Array.from({ length: 2000 }, () => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  reviewOnce(plainBody, configs.default);
  return { wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu) };
});
const plain = { wallMs: median(plainRuns.map((r) => r.wallMs)), cpuMs: median(plainRuns.map((r) => r.cpuMs)) };
log(`plain pod: ${round(plain.wallMs * 1000, 0)} µs wall (median of 2000)`);

const screenBytes = Number(opts.screen);
const results = [];
for (const { name, config } of ANNOTATIONS.filter((a) => opts.only === undefined || a.name.includes(opts.only))) {
  const cfg = configs[config];
  const full = ANNOTATIONS_LIMIT - name.length;
  let chosen = Object.keys(CANDIDATES);
  if (!opts.all) {
    const screened = chosen.map((pattern) => ({ pattern, ...measure(bodyWith(name, CANDIDATES[pattern](screenBytes)), cfg, 10_000) }));
    screened.sort((a, b) => b.wallMs - a.wallMs);
    chosen = screened.slice(0, Number(opts.top)).map((c) => c.pattern);
  }
  let worst;
  const measured = {};
  for (const pattern of chosen) {
    const value = CANDIDATES[pattern](full);
    const result = { pattern, bytes: value.length, ...settle(bodyWith(name, value), cfg) };
    measured[pattern] = { wallMs: round(result.wallMs, 2), cpuMs: round(result.cpuMs, 2), outcome: result.outcome, timedOut: result.timedOut ?? false };
    // The worst is the one that costs the most CPU (wall time also counts other processes).
    if (worst === undefined || (result.timedOut ? Infinity : result.cpuMs) > (worst.timedOut ? Infinity : worst.cpuMs)) worst = result;
  }
  const row = { annotation: name, config, ...worst, wallMs: round(worst.wallMs, 2), cpuMs: round(worst.cpuMs, 2), ratio: round(worst.cpuMs / plain.cpuMs, 0), measured };
  results.push(row);
  log(`${name}${config === 'default' ? '' : ` (${config})`}: '${row.pattern}' ${row.bytes} B: ${row.timedOut ? `> ${TIMEOUT_MS / 1000} s` : `${row.wallMs} ms`} (${row.outcome})`);
}

console.log(`plain pod review: ${round(plain.wallMs * 1000, 0)} µs wall, ${round(plain.cpuMs * 1000, 0)} µs CPU (median of 2000)\n`);
console.log('| annotation | mode | worst value | bytes | wall ms | CPU ms | × plain (CPU) | outcome |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const wall = r.timedOut ? `> ${TIMEOUT_MS / 1000} s` : r.wallMs;
  console.log(`| \`${r.annotation}\` | ${r.config} | ${r.pattern} | ${r.bytes} | ${wall} | ${r.cpuMs} | ${r.ratio} | ${r.outcome} |`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ plain, results }, null, 2));
