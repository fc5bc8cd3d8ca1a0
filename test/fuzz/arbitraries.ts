/**
 * Generators for fuzzing the webhook: valid pods of many shapes (as the apiserver sends them:
 * defaulted, empty maps absent), Istio annotations with valid and invalid values, and ways to break
 * a review (wrong types at any path, huge strings, truncation, deep nesting).
 */
import fc from 'fast-check';
import { defaultPod } from '../e2e/emulator/pod-validation.js';
import { reviewFixture } from '../support/fixtures.js';

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/);
const port = fc.integer({ min: 1, max: 65535 });
const probe = fc.oneof(
  fc.constant(undefined),
  fc.record({ httpGet: fc.record({ path: fc.constantFrom('/', '/healthz', '/ready?x=1'), port: fc.oneof(port, fc.constant('http')) }), initialDelaySeconds: fc.integer({ min: 0, max: 30 }) }, { requiredKeys: ['httpGet'] }),
  fc.record({ tcpSocket: fc.record({ port }) }),
  fc.record({ grpc: fc.record({ port }) }),
  fc.record({ exec: fc.record({ command: fc.constant(['true']) }) }),
);
// Names repeat now and then: Kubernetes accepts two variables of one name.
const envName = fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.constantFrom('MODE', 'POD'));
const envVar = fc.oneof(
  fc.record({ name: envName, value: fc.string({ maxLength: 20 }) }),
  fc.record({ name: envName, valueFrom: fc.constant({ fieldRef: { fieldPath: 'metadata.name' } }) }),
);
const container = fc.record(
  {
    image: fc.constantFrom('nginx:1.27', 'busybox', 'registry.example/app:v1', 'app:latest'),
    // One port may be served over TCP and UDP (DNS): the port number repeats, the protocol differs.
    ports: fc.uniqueArray(fc.record({ containerPort: fc.oneof(port, fc.constant(53)), name: fc.constantFrom('http', 'grpc', 'metrics', 'tcp'), protocol: fc.constantFrom('TCP', 'UDP') }), {
      maxLength: 3,
      selector: (p) => `${p.containerPort}/${p.protocol}`,
    }),
    env: fc.array(envVar, { maxLength: 6 }),
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe,
    securityContext: fc.constantFrom({ runAsUser: 1000 }, { runAsUser: 1337 }, { runAsNonRoot: true }, {}),
    resources: fc.constantFrom({}, { requests: { cpu: '100m', memory: '64Mi' } }, { limits: { cpu: '2', memory: '1Gi' } }),
  },
  { requiredKeys: ['image'] },
);

/** Istio pod annotations: valid values, invalid values, and empty ones. */
export const ANNOTATION_VALUES: Record<string, fc.Arbitrary<string>> = {
  'sidecar.istio.io/inject': fc.constantFrom('true', 'false', 'yes', 'maybe', ''),
  'traffic.sidecar.istio.io/includeOutboundIPRanges': fc.constantFrom('*', '10.0.0.0/8', '10.0.0.0/8,fd00::/8', '10.0.0.0/33', 'bad', ''),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': fc.constantFrom('169.254.169.254/32', '1.2.3.4', 'x/y', ''),
  'traffic.sidecar.istio.io/includeInboundPorts': fc.constantFrom('*', '8080', '8080,9090', '70000', 'a', ''),
  'traffic.sidecar.istio.io/excludeInboundPorts': fc.constantFrom('80', '1,2,3', '*', 'x', ''),
  'traffic.sidecar.istio.io/excludeOutboundPorts': fc.constantFrom('443', '-1', ''),
  'sidecar.istio.io/interceptionMode': fc.constantFrom('REDIRECT', 'TPROXY', 'NONE', 'WHAT'),
  'status.sidecar.istio.io/port': fc.constantFrom('15020', '0', '99999', 'x'),
  'readiness.status.sidecar.istio.io/applicationPorts': fc.constantFrom('8080', '', 'x'),
  'sidecar.istio.io/proxyCPU': fc.constantFrom('100m', '2', 'lots'),
  'sidecar.istio.io/proxyMemory': fc.constantFrom('128Mi', '1G', 'much'),
  'sidecar.istio.io/proxyCPULimit': fc.constantFrom('1', '-1', 'x'),
  'sidecar.istio.io/nativeSidecar': fc.constantFrom('true', 'false', 'x'),
  'sidecar.istio.io/rewriteAppHTTPProbers': fc.constantFrom('true', 'false', 'x'),
  'sidecar.istio.io/logLevel': fc.constantFrom('debug', 'info', 'loud'),
  'sidecar.istio.io/agentLogLevel': fc.constantFrom('default:debug', 'x'),
  'sidecar.istio.io/componentLogLevel': fc.constantFrom('misc:error', ''),
  'sidecar.istio.io/statsInclusionPrefixes': fc.constantFrom('cluster_manager', ''),
  'sidecar.istio.io/userVolume': fc.constantFrom('{"extra":{"emptyDir":{}}}', '{bad', '[]'),
  'sidecar.istio.io/userVolumeMount': fc.constantFrom('{"extra":{"mountPath":"/extra"}}', '{bad', '{"missing":{"mountPath":"/m"}}'),
  'sidecar.istio.io/bootstrapOverride': fc.constantFrom('custom-bootstrap', ''),
  'proxy.istio.io/config': fc.constantFrom('holdApplicationUntilProxyStarts: true', '{bad', 'concurrency: 2', 'nope: 1', 'proxyMetadata: {A: b}', '[]'),
  'inject.istio.io/templates': fc.constantFrom('sidecar', 'gateway', 'grpc-agent', 'sidecar,grpc-simple', 'missing', ''),
  'prometheus.io/scrape': fc.constantFrom('true', 'false'),
  'prometheus.io/port': fc.constantFrom('9090', 'x'),
  'prometheus.io/path': fc.constantFrom('/metrics', ''),
  'kubectl.kubernetes.io/default-container': fc.constantFrom('app', 'istio-proxy'),
};

/** A pod as the apiserver sends it on CREATE: defaulted; empty maps and lists absent. */
export const pod = fc
  .record({
    names: fc.uniqueArray(dnsName, { minLength: 1, maxLength: 4 }),
    containers: fc.array(container, { minLength: 4, maxLength: 4 }),
    // A few annotations per pod: with every one present at once, nearly every pod would carry an
    // invalid value and be denied, and patches would hardly ever be exercised.
    annotations: fc
      .uniqueArray(fc.constantFrom(...Object.keys(ANNOTATION_VALUES)), { maxLength: 3 })
      .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, ANNOTATION_VALUES[k]!])) as Record<string, fc.Arbitrary<string>>)),
    labels: fc.record({ app: fc.constantFrom('web', 'api'), version: fc.constantFrom('v1', 'v2'), 'sidecar.istio.io/inject': fc.constantFrom('true', 'true', 'false') }, { requiredKeys: [] }),
    initCount: fc.integer({ min: 0, max: 2 }),
    hostNetwork: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    generateName: fc.boolean(),
    volumes: fc.boolean(),
  })
  .map(({ names, containers, annotations, labels, initCount, hostNetwork, generateName, volumes }) => {
    const all = names.map((n, i) => ({ name: n, ...containers[i] }));
    const strip = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(k === 'securityContext' && Object.keys(v as object).length === 0)));
    const init = all.slice(0, Math.min(initCount, all.length - 1)).map(({ readinessProbe: _r, livenessProbe: _l, startupProbe: _s, ports: _p, ...c }) => strip(c));
    const apps = all.slice(init.length).map(strip);
    const spec: any = { containers: apps };
    if (init.length > 0) spec.initContainers = init;
    if (hostNetwork) spec.hostNetwork = true;
    if (volumes) {
      spec.volumes = [{ name: 'kube-api-access-x1', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }];
      for (const c of apps) c.volumeMounts = [{ name: 'kube-api-access-x1', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }];
    }
    const metadata: any = generateName ? { generateName: 'fuzz-7d9f8-', namespace: 'demo' } : { name: 'fuzz', namespace: 'demo' };
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    return defaultPod({ metadata, spec, status: {} });
  });

/** A v1 or v1beta1 review of a pod creation. */
export function reviewOf(p: unknown, version: 'v1' | 'v1beta1' = 'v1'): any {
  const review = reviewFixture(version === 'v1' ? 'pod-plain' : 'pod-v1beta1');
  review.request.object = p;
  if ((p as any)?.metadata?.generateName !== undefined) delete review.request.name;
  return review;
}

/** Every path (as key lists) inside a JSON value, for putting something wrong at one of them. */
export function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

/** A copy of `value` with `replacement` at `path` (the root when the path is empty). */
export function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), replacement);
  return copy;
}

/** fast-check settings shared by the fuzz tests: a fixed seed unless FUZZ_SEED says otherwise. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
export const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** Strict runs also fail when a valid pod gets our internal-error answer instead of a 400 or a patch. */
export const STRICT = process.env.FUZZ_STRICT === '1';

/** Runs a property with the shared seed; a failure says how to replay it. */
export async function check<T>(property: fc.IAsyncProperty<T>, runs: number): Promise<void> {
  try {
    await fc.assert(property, { numRuns: runs, seed: SEED });
  } catch (err) {
    // fast-check keeps the property's own failure as the cause; the test reporter shows only the message.
    const cause = (err as Error).cause instanceof Error ? `\nfailure: ${((err as Error).cause as Error).message.slice(0, 2000)}` : '';
    (err as Error).message = `replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}${STRICT ? ' FUZZ_STRICT=1' : ''} node scripts/run-tests.mjs test/fuzz\n${(err as Error).message}${cause}`;
    throw err;
  }
}
