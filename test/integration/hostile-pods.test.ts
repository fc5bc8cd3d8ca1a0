/**
 * Pods as a hostile user writes them, through the webhook with the real engine, each answer read
 * as the apiserver reads it (the emulator's strict decoding) and each patch applied as it applies
 * it, the result decoded into a typed Pod and validated. The promise: a right patch, or a 400
 * naming what is wrong, never our internal error (the app runs with `onInternalError: deny`, so
 * one would show as a 500 denial).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server/app.js';
import { decodeAnswer, type Outcome } from '../e2e/emulator/call.js';
import { applyJsonPatchV4 } from '../e2e/emulator/json-patch-v4.js';
import { decodePod } from '../e2e/emulator/pod-decode.js';
import { defaultPod, validatePod } from '../e2e/emulator/pod-validation.js';
import { reviewFixture } from '../support/fixtures.js';

const app = buildApp({ getConfig: defaultConfig, logger: pino({ level: 'silent' }), onInternalError: 'deny' });

async function send(pod: any): Promise<Outcome> {
  const review = reviewFixture('pod-plain');
  review.request.object = pod;
  const res = await app.inject({ method: 'POST', url: '/inject?timeout=10s', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(review) });
  return decodeAnswer(res.statusCode, res.rawPayload, review, 'sidecar-injector.istio.io');
}

/** The pod as the apiserver stores it after our patch: applied, decoded, defaulted; with what validation says. */
function created(pod: any, outcome: Outcome): { raw: any; stored: any; problems: string[] } {
  assert.equal(outcome.kind, 'patched', JSON.stringify(outcome).slice(0, 600));
  const raw = applyJsonPatchV4(pod, (outcome as { ops: unknown[] }).ops);
  const stored = defaultPod(decodePod(raw));
  return { raw, stored, problems: validatePod(stored) };
}

/** Injects, checks the stored pod validates, then checks a reinvocation changes nothing. */
async function injectsCleanly(pod: any): Promise<{ raw: any; stored: any }> {
  const result = created(pod, await send(pod));
  assert.deepEqual(result.problems, []);
  const again = await send(result.stored);
  assert.equal(again.kind, 'allowed', `re-injection changes nothing: ${JSON.stringify(again).slice(0, 400)}`);
  return result;
}

async function deniedWith(pod: any, message: RegExp): Promise<void> {
  const outcome = await send(pod);
  assert.equal(outcome.kind, 'denied', JSON.stringify(outcome).slice(0, 400));
  if (outcome.kind !== 'denied') return;
  assert.equal(outcome.code, 400);
  assert.match(outcome.message, message);
}

function plainPod(): any {
  return reviewFixture('pod-plain').request.object;
}

/** JSON text parsed, as the request is: `__proto__` becomes an own key, not the prototype. */
const parsed = (text: string) => JSON.parse(text);

describe('__proto__, constructor and prototype are plain keys end to end', () => {
  const keys = parsed('{"__proto__":"a","constructor":"b","prototype":"c","app":"web"}');

  it('in labels and annotations: kept with their values, the sidecar injected', async () => {
    const pod = plainPod();
    pod.metadata.labels = structuredClone(keys);
    pod.metadata.annotations = structuredClone(keys);
    const { raw } = created(pod, await send(pod));
    for (const map of [raw.metadata.labels, raw.metadata.annotations]) {
      assert.equal(Object.getPrototypeOf(map), Object.prototype);
      for (const [k, v] of Object.entries(keys)) assert.ok(Object.hasOwn(map, k) && map[k] === v, `${k} kept`);
    }
    assert.ok(raw.spec.containers.some((c: any) => c.name === 'istio-proxy'));
  });

  it('in a CSI volume\'s volumeAttributes (free-form): the volume and its mount stay whole', async () => {
    const pod = plainPod();
    pod.spec.volumes.push(parsed('{"name":"data","csi":{"driver":"csi.example.com","volumeAttributes":{"__proto__":"x","constructor":"y","prototype":"z"}}}'));
    pod.spec.containers[0].volumeMounts.push({ name: 'data', mountPath: '/data' });
    const { stored } = await injectsCleanly(pod);
    const volume = stored.spec.volumes.find((v: any) => v.name === 'data');
    assert.deepEqual(Object.entries(volume.csi.volumeAttributes), [['__proto__', 'x'], ['constructor', 'y'], ['prototype', 'z']]);
  });

  it('in nodeSelector, and as unknown fields of metadata and spec', async () => {
    const pod = plainPod();
    pod.spec.nodeSelector = parsed('{"__proto__":"x","constructor":"y"}');
    const text = JSON.stringify(pod).replace('"metadata":{', '"metadata":{"__proto__":{"a":1},').replace('"spec":{', '"spec":{"__proto__":{"b":2},"constructor":3,');
    const withUnknown = JSON.parse(text);
    const { raw, stored } = await injectsCleanly(withUnknown);
    assert.deepEqual(Object.entries(stored.spec.nodeSelector), [['__proto__', 'x'], ['constructor', 'y']]);
    // Unknown fields: the apiserver drops them; the patch leaves them where they were.
    assert.deepEqual(Object.getOwnPropertyDescriptor(raw.metadata, '__proto__')?.value, { a: 1 });
    assert.deepEqual(Object.getOwnPropertyDescriptor(raw.spec, '__proto__')?.value, { b: 2 });
  });

  it("in the pod's own istio-proxy container, laid over the injected one", async () => {
    const pod = plainPod();
    pod.spec.containers.push(parsed('{"name":"istio-proxy","image":"auto","resources":{"limits":{"constructor":"1","cpu":"500m"}}}'));
    const { stored } = await injectsCleanly(pod);
    const proxy = stored.spec.containers.find((c: any) => c.name === 'istio-proxy');
    assert.deepEqual(proxy.resources.limits, { cpu: '500m', memory: '1Gi', constructor: '1' });
  });

  it('in user volumes and mounts: names the apiserver accepts work, others are refused naming them', async () => {
    const pod = plainPod();
    pod.spec.volumes.push({ name: 'constructor', emptyDir: {} });
    pod.metadata.annotations = {
      'sidecar.istio.io/userVolume': '{"prototype":{"emptyDir":{}}}',
      'sidecar.istio.io/userVolumeMount': '{"constructor":{"mountPath":"/c"},"prototype":{"mountPath":"/p"}}',
    };
    const { stored } = await injectsCleanly(pod);
    const proxy = stored.spec.containers.find((c: any) => c.name === 'istio-proxy');
    assert.deepEqual(proxy.volumeMounts.filter((m: any) => ['constructor', 'prototype'].includes(m.name)).map((m: any) => m.mountPath), ['/c', '/p']);
    const bad = plainPod();
    bad.metadata.annotations = { 'sidecar.istio.io/userVolume': '{"__proto__":{"emptyDir":{}}}' };
    await deniedWith(bad, /annotation 'sidecar\.istio\.io\/userVolume': volume name "__proto__" is not a DNS-1123 label/);
    bad.metadata.annotations = { 'sidecar.istio.io/userVolumeMount': '{"__proto__":{"mountPath":"/x"}}' };
    await deniedWith(bad, /annotation 'sidecar\.istio\.io\/userVolumeMount': volume\(s\) '__proto__' defined neither/);
  });

  it('as a template name: an unknown template, refused naming it', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const pod = plainPod();
      pod.metadata.annotations = { 'inject.istio.io/templates': name };
      await deniedWith(pod, new RegExp(`template '${name}', which is not defined`));
    }
  });
});

describe('tampered re-injection state: a 400 naming the field, or ignored and re-rendered', () => {
  /** A pod injected once, as the apiserver stored it. */
  async function injectedPod(): Promise<any> {
    const pod = plainPod();
    return created(pod, await send(pod)).stored;
  }
  function setProxyEnv(pod: any, name: string, value: unknown): void {
    const proxy = pod.spec.containers.find((c: any) => c.name === 'istio-proxy');
    const variable = proxy.env.find((e: any) => e.name === name);
    if (variable) variable.value = value;
    else proxy.env.push({ name, value });
  }

  for (const status of ['null', '{', '[]', '5', '{"containers":"istio-proxy"}', '{"containers":[5]}', '{"containers":[null]}', '{"revision":5}']) {
    it(`sidecar.istio.io/status ${status}: read as Istio reads it, the pod re-rendered with one proxy`, async () => {
      const pod = await injectedPod();
      pod.metadata.annotations['sidecar.istio.io/status'] = status;
      const { stored } = await injectsCleanly(pod);
      assert.equal(stored.spec.containers.filter((c: any) => c.name === 'istio-proxy').length, 1);
      assert.equal(stored.spec.initContainers.filter((c: any) => c.name === 'istio-init').length, 1);
    });
  }

  for (const probers of ['[null]', '5', '"x"', '{"/app-health/web/livez":5}', '{"/app-health/web/livez":{"httpGet":{"path":5}}}', '{"/app-health/web/livez":{"timeoutSeconds":1.5}}', 'not json']) {
    it(`ISTIO_KUBE_APP_PROBERS ${probers}: unreadable, kept as it is (as Istio keeps it); nothing else changes`, async () => {
      const pod = await injectedPod();
      setProxyEnv(pod, 'ISTIO_KUBE_APP_PROBERS', probers);
      assert.equal((await send(pod)).kind, 'allowed');
    });
  }

  // Istio lays the template over the pod as it came, so a variable of the earlier proxy that the
  // template does not write stays as it was (Istio's own injector, asked the same, keeps it).
  it('ISTIO_KUBE_APP_PROBERS null (the JSON literal): no earlier probers; the variable kept, as Istio keeps it', async () => {
    const pod = await injectedPod();
    setProxyEnv(pod, 'ISTIO_KUBE_APP_PROBERS', 'null');
    assert.equal((await send(pod)).kind, 'allowed');
    const probed = await injectedPod();
    probed.spec.containers[0].readinessProbe = { httpGet: { path: '/ready', port: 80 } };
    setProxyEnv(probed, 'ISTIO_KUBE_APP_PROBERS', 'null');
    const { stored } = created(probed, await send(probed));
    const proxy = stored.spec.containers.find((c: any) => c.name === 'istio-proxy');
    assert.equal(JSON.parse(proxy.env.find((e: any) => e.name === 'ISTIO_KUBE_APP_PROBERS').value)['/app-health/web/readyz'].httpGet.path, '/ready');
  });

  for (const value of [null, 5, ['x'], { a: 1 }]) {
    it(`an istio-proxy variable whose value is ${JSON.stringify(value)}: kept where it is, never an internal error`, async () => {
      const pod = await injectedPod();
      setProxyEnv(pod, 'ISTIO_KUBE_APP_PROBERS', value);
      const outcome = await send(pod);
      assert.ok(outcome.kind === 'allowed' || outcome.kind === 'patched', JSON.stringify(outcome).slice(0, 400));
      if (outcome.kind === 'patched') assert.deepEqual(created(pod, outcome).problems, []);
    });
  }

  for (const scrape of ['null', '[null]', '5', '{"path":5}', '{"scrape":true}', '{"targets":[null]}', '{"targets":"x"}']) {
    it(`ISTIO_PROMETHEUS_ANNOTATIONS ${scrape}: unreadable, kept; no annotation set to anything but a string`, async () => {
      const pod = await injectedPod();
      setProxyEnv(pod, 'ISTIO_PROMETHEUS_ANNOTATIONS', scrape);
      assert.equal((await send(pod)).kind, 'allowed');
    });
  }

  it('proxy.istio.io/overrides that Istio cannot decode: refused naming the annotation, as Istio refuses it', async () => {
    for (const [value, why] of [
      ['{', /not valid JSON/],
      ['[]', /not a JSON object/],
      ['{"containers":{}}', /containers: expected a list/],
      ['{"containers":[{"name":"istio-proxy","image":5}]}', /containers\[0\]\.image: expected a string, got 5/],
      ['{"containers":[5]}', /containers\[0\]: expected an object \(Container\), got 5/],
    ] as const) {
      const pod = await injectedPod();
      pod.metadata.annotations['proxy.istio.io/overrides'] = value;
      await deniedWith(pod, new RegExp(`for annotation 'proxy\\.istio\\.io/overrides': ${why.source}`));
    }
  });

  // Go reads `null` as an empty container, and an entry may lack a name: such entries match no
  // container, so they are never inserted, and Istio's injector injects these pods (asked with
  // npm run fuzz:istio:replay, its output and ours are the same).
  it('proxy.istio.io/overrides with a null or unnamed entry: read as Istio reads it, nothing inserted', async () => {
    for (const value of ['{"containers":[null]}', '{"initContainers":[{"image":"x"}]}']) {
      const pod = await injectedPod();
      pod.metadata.annotations['proxy.istio.io/overrides'] = value;
      // (Istio's templates count an empty container among the app containers: the same output here.)
      const again = await send(pod);
      assert.ok(again.kind === 'allowed' || again.kind === 'patched', value);
      if (again.kind === 'patched') assert.deepEqual(created(pod, again).problems, [], value);
      const fresh = plainPod();
      fresh.metadata.annotations = { 'proxy.istio.io/overrides': value };
      const { stored } = await injectsCleanly(fresh);
      assert.ok([...stored.spec.initContainers, ...stored.spec.containers].every((c: any) => typeof c.name === 'string' && c.name !== '' && c.image !== 'x'), value);
    }
  });

  it('overrides repeating a container 5,000 times: re-inserted once, as Istio does', async () => {
    const pod = await injectedPod();
    pod.metadata.annotations['proxy.istio.io/overrides'] = JSON.stringify({ containers: Array.from({ length: 5_000 }, () => ({ name: 'istio-proxy', image: 'auto' })) });
    const started = performance.now();
    const outcome = await send(pod);
    assert.ok(performance.now() - started < 2000);
    if (outcome.kind !== 'allowed') assert.deepEqual(created(pod, outcome).problems, []);
  });

  // A wrong type the apiserver never sends (it decodes the pod before calling webhooks): refused
  // naming it when injection trips on it, else left where it is, untouched by the patch.
  const AROUND = 'injected around it';
  for (const [what, mutate, expected] of [
    ['a null container', (pod: any) => pod.spec.containers.push(null), /^spec\.containers\[1\] must be a container \(an object\), got null$/],
    ['a string container', (pod: any) => pod.spec.containers.push('web'), /^spec\.containers\[1\] must be a container \(an object\), got "web"$/],
    ['initContainers that is not a list', (pod: any) => (pod.spec.initContainers = { name: 'x' }), /^spec\.initContainers must be a list of containers, got object$/],
    ['a container name that is a number', (pod: any) => (pod.spec.containers[0].name = 5), /^spec\.containers\[0\]\.name: expected a string, got 5 \(the apiserver decodes a pod before it calls webhooks, so it never sends this\)$/],
    ['a label that is a number', (pod: any) => (pod.metadata.labels.app = 5), /^metadata\.labels\['app'\] must be a string, got 5: quote it in YAML$/],
    ['ports that are a string', (pod: any) => (pod.spec.containers[0].ports = 'http'), /^spec\.containers\[0\]\.ports: expected a list, got "http" \(the apiserver decodes a pod before it calls webhooks, so it never sends this\)$/],
    ['env that is a string', (pod: any) => (pod.spec.containers[0].env = 'x'), AROUND],
    ['a null variable', (pod: any) => (pod.spec.containers[0].env = [null]), AROUND],
    ['a probe that is a string', (pod: any) => (pod.spec.containers[0].readinessProbe = 'x'), AROUND],
    ['ports that are numbers', (pod: any) => (pod.spec.containers[0].ports = [80]), AROUND],
    ['volumes with a null', (pod: any) => pod.spec.volumes.push(null), AROUND],
  ] as const) {
    it(`${what}: ${expected === AROUND ? AROUND : 'refused with a 400 naming it'}`, async () => {
      const pod = plainPod();
      mutate(pod);
      const before = structuredClone(pod);
      const outcome = await send(pod);
      if (expected !== AROUND) {
        assert.equal(outcome.kind, 'denied');
        if (outcome.kind === 'denied') {
          assert.equal(outcome.code, 400);
          assert.match(outcome.message.replace(/^admission webhook "[^"]+" denied the request: /, ''), expected);
        }
        return;
      }
      assert.equal(outcome.kind, 'patched');
      const raw = applyJsonPatchV4(pod, (outcome as { ops: unknown[] }).ops);
      assert.deepEqual(raw.spec.containers[0].env, before.spec.containers[0].env);
      assert.deepEqual(raw.spec.containers[0].ports, before.spec.containers[0].ports);
      for (const volume of before.spec.volumes) assert.ok(raw.spec.volumes.some((v: unknown) => isDeepStrictEqual(v, volume)), 'the pod\'s volumes stay as they were');
      assert.ok(raw.spec.containers.some((c: any) => c.name === 'istio-proxy'));
    });
  }
});
