/**
 * Property-based tests of what a hostile pod can hold (FUZZ_RUNS, FUZZ_SEED as in review.test.ts):
 * keys named like Object.prototype properties in every map of the pod, the worst strings we know
 * for every annotation Istio reads, null and wrongly typed entries in every list. Properties: the
 * answer is one the apiserver accepts, never our internal error (the app denies with 500 on one);
 * a patch applies and keeps every key the pod had; a denial is a 400 that says what is wrong; and
 * no review costs more than a bounded multiple of a plain review's time (CPU time, retried before
 * it fails, so a loaded machine does not make it flake; a quadratic parser misses it by far).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { buildConfig, defaultConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server/app.js';
import { decodeAnswer, type Outcome } from '../e2e/emulator/call.js';
import { applyJsonPatchV4 } from '../e2e/emulator/json-patch-v4.js';
import { cpuNow } from '../support/timing.js';
import { check, paths, pod, reviewOf, RUNS } from './arbitraries.js';

const WEBHOOK = 'sidecar-injector.istio.io';
const INTERNAL_ERROR = /denied the request: sidecar injection failed: /;
const logger = pino({ level: 'silent' });
const apps = {
  default: buildApp({ getConfig: defaultConfig, logger, onInternalError: 'deny' }),
  // The modes that read the Datadog and multus annotations.
  datadog: (() => {
    const config = buildConfig({ values: { global: { proxy: { tracer: 'datadog' } }, pilot: { cni: { enabled: true, provider: 'multus' } } } });
    return buildApp({ getConfig: () => config, logger, onInternalError: 'deny' });
  })(),
};

async function send(review: any, app = apps.default): Promise<{ outcome: Outcome; cpuMs: number }> {
  const payload = JSON.stringify(review);
  const started = cpuNow();
  const res = await app.inject({ method: 'POST', url: '/inject?timeout=10s', headers: { 'content-type': 'application/json' }, payload });
  const cpuMs = cpuNow() - started;
  return { outcome: decodeAnswer(res.statusCode, res.rawPayload, review, WEBHOOK), cpuMs };
}

/** Never our internal error: a patch, an allowance, or a 400 that says what is wrong. */
function assertAnswered(outcome: Outcome, what: string): void {
  assert.ok(outcome.kind === 'patched' || outcome.kind === 'allowed' || outcome.kind === 'denied', `${what}: ${JSON.stringify(outcome).slice(0, 300)}`);
  if (outcome.kind === 'denied') {
    assert.ok(!INTERNAL_ERROR.test(outcome.message), `${what}: ${outcome.message.slice(0, 300)}`);
    assert.equal(outcome.code, 400, outcome.message.slice(0, 300));
  }
}

/** Sets an own property, `__proto__` included, as JSON.parse does. */
function setOwn(object: any, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** CPU ms of a plain pod's review here, the median of many: the unit of the time bound. */
let plainMs = 0;
async function plainReviewMs(): Promise<number> {
  if (plainMs > 0) return plainMs;
  const { reviewFixture } = await import('../support/fixtures.js');
  const review = reviewFixture('pod-plain');
  for (let i = 0; i < 30; i++) await send(review);
  const times: number[] = [];
  for (let i = 0; i < 60; i++) times.push((await send(review)).cpuMs);
  times.sort((a, b) => a - b);
  plainMs = Math.max(times[30]!, 0.05);
  return plainMs;
}

/**
 * No review may cost more than this many plain reviews. A linear review of 256 KiB of the worst
 * annotation costs tens of plain ones; a quadratic parser, tens of thousands.
 */
const TIME_BOUND = 1000;

async function assertBoundedTime(review: any, app: (typeof apps)[keyof typeof apps], what: string): Promise<Outcome> {
  const unit = await plainReviewMs();
  let best = Infinity;
  let outcome: Outcome | undefined;
  // The best of up to three tries: a collection or another process can slow one down, never all.
  for (let attempt = 0; attempt < 3 && best > unit * TIME_BOUND; attempt++) {
    const sent = await send(review, app);
    outcome = sent.outcome;
    best = Math.min(best, sent.cpuMs);
  }
  assert.ok(best <= unit * TIME_BOUND, `${what}: ${best.toFixed(1)} ms of CPU, ×${Math.round(best / unit)} a plain review (${unit.toFixed(3)} ms); bound ×${TIME_BOUND}`);
  return outcome!;
}

describe('fuzzing hostile pods', () => {
  it('keeps keys named like Object.prototype properties in every map as plain keys', async () => {
    const prototypeKeys = pod.chain((p) => {
      const review = reviewOf(p);
      const maps = paths(review.request.object).filter((path) => {
        let at: any = review.request.object;
        for (const key of path) at = at[key];
        return typeof at === 'object' && at !== null && !Array.isArray(at);
      });
      return fc.tuple(fc.constant(review), fc.array(fc.tuple(fc.constantFrom(...maps), fc.constantFrom(...PROTOTYPE_KEYS)), { minLength: 1, maxLength: 4 }));
    });
    await check(
      fc.asyncProperty(prototypeKeys, async ([generated, inserts]) => {
        // Shrinking runs the property again on the same values: change a copy.
        const review = structuredClone(generated);
        const object = review.request.object;
        const added: Array<[unknown, string]> = [];
        for (const [path, key] of inserts) {
          let at: any = object;
          for (const step of path) at = at[step];
          // A string where the apiserver has string maps (labels, annotations, selectors, attributes),
          // anything in a struct, where the apiserver drops unknown fields.
          setOwn(at, key, path.length === 0 || path[path.length - 1] === 'metadata' || path.includes('containers') ? { nested: 1 } : `value-of-${key}`);
          added.push([path, key]);
        }
        const { outcome } = await send(review);
        assertAnswered(outcome, `keys ${JSON.stringify(inserts)}`);
        if (outcome.kind !== 'patched') return;
        const patched = applyJsonPatchV4(object, outcome.ops);
        for (const [path, key] of inserts) {
          // Containers may be moved or merged by injection; every other map keeps the key. Items of
          // other lists (volumes) may move: they are found by name.
          if ((path as unknown[]).includes('containers') || (path as unknown[]).includes('initContainers')) continue;
          let before: any = object;
          let after: any = patched;
          for (const step of path as (string | number)[]) {
            const item = before[step];
            after = typeof step === 'number' && typeof item?.name === 'string' ? after?.find?.((x: any) => x?.name === item.name) : after?.[step];
            before = item;
          }
          assert.ok(after !== undefined && Object.hasOwn(after, key), `${[...(path as unknown[]), key].join('.')} kept by the patch`);
          assert.deepEqual(after[key], before[key]);
        }
      }),
      RUNS,
    );
  });

  it('answers null and wrongly typed entries in every list with a patch or a 400 naming them', async () => {
    const entry = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant({ name: 5 }));
    const broken = pod.chain((p) => {
      const review = reviewOf(p);
      const lists = paths(review.request.object).filter((path) => {
        let at: any = review.request.object;
        for (const key of path) at = at[key];
        return Array.isArray(at);
      });
      return fc.tuple(fc.constant(review), fc.constantFrom(...lists), fc.nat({ max: 5 }), entry);
    });
    await check(
      fc.asyncProperty(broken, async ([generated, path, at, value]) => {
        const review = structuredClone(generated);
        let list: any = review.request.object;
        for (const key of path) list = list[key];
        list.splice(Math.min(at, list.length), 0, value);
        const { outcome } = await send(review);
        assertAnswered(outcome, `${path.join('.')}[${at}] = ${JSON.stringify(value)}`);
      }),
      RUNS * 2,
    );
  });

  it('answers the worst strings for every annotation Istio reads in bounded time', async () => {
    /** Annotations Istio reads (README, "Pod annotations and labels"), and the app whose mode reads them. */
    const annotations: Array<[string, keyof typeof apps]> = [
      ...[
        'sidecar.istio.io/inject', 'inject.istio.io/templates', 'sidecar.istio.io/nativeSidecar', 'sidecar.istio.io/interceptionMode',
        'traffic.sidecar.istio.io/includeOutboundIPRanges', 'traffic.sidecar.istio.io/excludeOutboundIPRanges', 'traffic.sidecar.istio.io/includeInboundPorts',
        'traffic.sidecar.istio.io/excludeInboundPorts', 'traffic.sidecar.istio.io/includeOutboundPorts', 'traffic.sidecar.istio.io/excludeOutboundPorts',
        'traffic.sidecar.istio.io/excludeInterfaces', 'traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces',
        'status.sidecar.istio.io/port', 'readiness.status.sidecar.istio.io/initialDelaySeconds', 'readiness.status.sidecar.istio.io/periodSeconds',
        'readiness.status.sidecar.istio.io/failureThreshold', 'readiness.status.sidecar.istio.io/applicationPorts', 'sidecar.istio.io/proxyCPU',
        'sidecar.istio.io/proxyMemory', 'sidecar.istio.io/proxyCPULimit', 'sidecar.istio.io/proxyMemoryLimit', 'sidecar.istio.io/proxyImage',
        'sidecar.istio.io/proxyImageType', 'sidecar.istio.io/logLevel', 'sidecar.istio.io/componentLogLevel', 'sidecar.istio.io/agentLogLevel',
        'sidecar.istio.io/bootstrapOverride', 'sidecar.istio.io/userVolume', 'sidecar.istio.io/userVolumeMount', 'sidecar.istio.io/capNetBindService',
        'sidecar.istio.io/rewriteAppHTTPProbers', 'proxy.istio.io/config', 'prometheus.istio.io/merge-metrics', 'prometheus.io/scrape', 'prometheus.io/port',
        'prometheus.io/path', 'prometheus.istio.io/scrape-targets', 'kubectl.kubernetes.io/default-container', 'kubectl.kubernetes.io/default-logs-container',
        'sidecar.istio.io/status', 'proxy.istio.io/overrides',
      ].map((name): [string, keyof typeof apps] => [name, 'default']),
      ['apm.datadoghq.com/env', 'datadog'],
      ['k8s.v1.cni.cncf.io/networks', 'datadog'],
      ['traffic.sidecar.istio.io/excludeInboundPorts', 'datadog'],
    ];
    // Runs of what the parsers look for, broken at the end or not, around a prefix and a suffix.
    const shape = fc.record({
      unit: fc.constantFrom('1', '0', '1,', ' 1 ,', ' ', '\u00a0', '.', '1.', ':', '1:', '/', ',', 'a', '"', '{', '[', '!a ', '&a ', '*a ', '- ', 'a: ', '? ', 'sidecar,', 'eth0,', '10.0.0.0/8,', '1h', '8080:/m,', '{"name":"a"},', 'null,'),
      head: fc.constantFrom('', '1', 'a', '0.', '{"v":', '[', '{"containers":['),
      tail: fc.constantFrom('', 'x', '1', '.1x', 'e-9', 'Ki', '/1', ']', '}', ']}', 's'),
      // Up to all the apiserver lets a pod's annotations hold, and a little over (denied).
      size: fc.oneof(fc.integer({ min: 1_000, max: 256 * 1024 - 64 }), fc.constant(256 * 1024 - 64), fc.constant(256 * 1024 + 1)),
    });
    await check(
      fc.asyncProperty(fc.constantFrom(...annotations), shape, async ([name, mode], { unit, head, tail, size }) => {
        const { reviewFixture } = await import('../support/fixtures.js');
        const review = reviewFixture('pod-plain');
        const length = Math.max(0, size - name.length - head.length - tail.length);
        review.request.object.metadata.annotations = { [name]: head + unit.repeat(Math.ceil(length / unit.length)).slice(0, length) + tail };
        const outcome = await assertBoundedTime(review, apps[mode], `${name} = ${JSON.stringify(head)} + ${size} × ${JSON.stringify(unit)} + ${JSON.stringify(tail)}`);
        assertAnswered(outcome, name);
        // kubectl prints the message: the value is quoted, not repeated whole.
        if (outcome.kind === 'denied') assert.ok(outcome.message.length < 2048, `a ${outcome.message.length}-character message`);
      }),
      Math.max(20, RUNS),
    );
  });
});
