import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeReview } from '../../../src/admission/index.js';
import { buildConfig, defaultConfig } from '../../../src/config/index.js';
import * as injection from '../../../src/injection/index.js';
import { constantJson, diffPatch, knownJson, serializePatch, verifyPatch, withConstantParts, type PatchOperation } from '../../../src/patch/index.js';
import { reviewFixture } from '../../support/fixtures.js';

const reviews = readdirSync(new URL('../../fixtures/reviews/', import.meta.url)).map((f) => f.replace(/\.json$/, ''));

/** The patch of a fixture's pod, or undefined when it is not injected. */
function patchOf(name: string, config = defaultConfig()): PatchOperation[] | undefined {
  const { request } = decodeReview(reviewFixture(name));
  if (request.kind?.kind !== 'Pod' || typeof request.object !== 'object') return undefined;
  const req = { pod: request.object as injection.Pod, namespace: request.namespace ?? 'default' };
  if (!injection.decide(req, config, 'webhook').inject) return undefined;
  let rendered: injection.Pod;
  try {
    rendered = injection.render(req, config);
  } catch {
    return undefined; // a pod refused (an invalid annotation): no patch
  }
  return diffPatch(req.pod, rendered);
}

describe('JSON text kept for constant values', () => {
  it('serializes every fixture patch byte for byte as JSON.stringify does, on first and later reviews', () => {
    let spliced = 0;
    const config = defaultConfig();
    for (const name of reviews) {
      for (let round = 0; round < 2; round++) {
        const ops = patchOf(name, config);
        if (ops === undefined) continue;
        spliced += ops.filter((op) => 'value' in op && knownJson(op.value) !== undefined).length;
        assert.equal(serializePatch(ops), JSON.stringify(ops), name);
      }
    }
    // The sidecar's configuration-only volumes are among the values spliced.
    assert.ok(spliced > 0);
  });

  it('gives a reloaded configuration its own volumes, not those of the first', () => {
    // Configurations are immutable: a reload builds a new one.
    const first = defaultConfig();
    const reloaded = buildConfig({ values: { global: { sds: { token: { aud: 'other-audience' } } }, pilot: { crlConfigMapName: 'my-crl' } } });
    const volumes = (config: typeof first) => {
      const ops = patchOf('pod-plain', config)!;
      return JSON.parse(serializePatch(ops)).filter((op: any) => op.path.startsWith('/spec/volumes')).map((op: any) => op.value);
    };
    const before = JSON.stringify(volumes(first));
    const after = volumes(reloaded);
    assert.notEqual(JSON.stringify(after), before);
    assert.equal(after.find((v: any) => v.name === 'istio-token').projected.sources[0].serviceAccountToken.audience, 'other-audience');
    assert.equal(after.find((v: any) => v.name === 'istio-ca-crl').configMap.name, 'my-crl');
    // And the first configuration still renders as it did.
    assert.equal(JSON.stringify(volumes(first)), before);
  });

  it('freezes a constant value deeply, so it cannot drift from its text', () => {
    const value = constantJson({ name: 'v', nested: { list: [{ a: 1 }] } });
    assert.throws(() => {
      (value.nested.list[0] as any).a = 2;
    }, TypeError);
    assert.equal(knownJson(value), '{"name":"v","nested":{"list":[{"a":1}]}}');
  });

  it('serializes whole an operation with keys other than op, path and value, or in another order', () => {
    const value = constantJson({ name: 'x' });
    const odd = [{ path: '/a', op: 'add', value }, { op: 'add', path: '/b', value, extra: 1 }] as unknown as PatchOperation[];
    assert.equal(serializePatch(odd), JSON.stringify(odd));
    const keyed = [{ op: 'add', path: '/__proto__/"q"', value }] as PatchOperation[];
    assert.equal(serializePatch(keyed), JSON.stringify(keyed));
  });

  it('leaves constant values and their composites to verification as any other value', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }], volumes: [{ name: 'v', emptyDir: {} }] } };
    const add = (path: string, value: unknown) => [{ op: 'add', path, value }] as PatchOperation[];
    const list = constantJson([{ name: 'v', emptyDir: {} }]);
    verifyPatch(pod, add('/spec/volumes', list), { ...pod, spec: { ...pod.spec, volumes: list } });
    // Accepted where it decodes, refused where it does not, whatever was accepted before.
    assert.throws(() => verifyPatch(pod, add('/metadata/labels', list), { ...pod, metadata: { ...pod.metadata, labels: list } }), /cannot decode at \/metadata\/labels/);
    const withContainer = (c: object) => ({ ...pod, spec: { ...pod.spec, containers: [pod.spec.containers[0], c] } });
    const mounts = constantJson([{ name: 'v', mountPath: '/v' }]);
    const good = withConstantParts({ name: 'proxy', volumeMounts: mounts, ports: [{ containerPort: 1 }] });
    verifyPatch(pod, add('/spec/containers/1', good), withContainer(good));
    const bad = withConstantParts({ name: 'proxy', volumeMounts: mounts, ports: [{ containerPort: 'one' }] });
    assert.throws(() => verifyPatch(pod, add('/spec/containers/1', bad), withContainer(bad)), /ports\[0\]\.containerPort: expected a 32-bit integer/);
    const badParts = withConstantParts({ name: 'proxy', volumeMounts: constantJson([{ name: 'v', mountPath: 7 }]) });
    assert.throws(() => verifyPatch(pod, add('/spec/containers/1', badParts), withContainer(badParts)), /volumeMounts\[0\]\.mountPath/);
  });
});

describe('writing a patch as JSON.stringify does', () => {
  const awkward = ['plain', 'quote " and backslash \\', 'line\nbreak\ttab\u0000nul\u001f', 'lone \ud800 surrogate', 'pair \ud83d\ude00', 'separators \u2028\u2029', 'é ü 中', ''];

  it('quotes every awkward string in paths, values and the keys and items of composites', () => {
    for (const text of awkward) {
      const env = withConstantParts([constantJson({ name: 'KEPT', value: 'k' }), { name: text, value: text }, { name: 'X', value: undefined }]);
      const container = withConstantParts({ [text]: text, name: 'proxy', env, ports: constantJson([{ containerPort: 1 }]) });
      const ops = [
        { op: 'add', path: `/metadata/labels/${text}`, value: text },
        { op: 'add', path: '/spec/containers/1', value: container },
        { op: 'add', path: '/spec/initContainers', value: [withConstantParts({ name: text, args: constantJson(['a', text]) })] },
        { op: 'replace', path: `/a/${text}`, value: [1, null, true, { [text]: [text] }] },
      ] as PatchOperation[];
      // Twice: the second time, the paths' and keys' texts are those kept from the first.
      assert.equal(serializePatch(ops), JSON.stringify(ops), JSON.stringify(text));
      assert.equal(serializePatch(ops), JSON.stringify(ops), JSON.stringify(text));
    }
  });

  it('writes an item JSON cannot hold as null, and leaves out an operation value it cannot hold', () => {
    const list = withConstantParts([constantJson({ a: 1 }), undefined, () => 1]);
    const ops = [{ op: 'add', path: '/l', value: list }, { op: 'add', path: '/u', value: undefined }] as unknown as PatchOperation[];
    assert.equal(serializePatch(ops), JSON.stringify(ops));
  });

  it('reuses the text of an operation adding a constant value only at the same path', () => {
    const volume = constantJson({ name: 'v', emptyDir: {} });
    const at = (path: string) => [{ op: 'add', path, value: volume }] as PatchOperation[];
    for (const path of ['/spec/volumes/0', '/spec/volumes/0', '/spec/volumes/3', '/spec/volumes/0']) assert.equal(serializePatch(at(path)), JSON.stringify(at(path)));
    const replace = [{ op: 'replace', path: '/spec/volumes/0', value: volume }] as PatchOperation[];
    assert.equal(serializePatch(replace), JSON.stringify(replace));
  });

  it('writes a constant value frozen elsewhere as any value (it cannot keep a text)', () => {
    const frozen = Object.freeze({ name: 'f', list: Object.freeze([1]) });
    const value = constantJson(frozen);
    assert.equal(knownJson(value), undefined);
    const ops = [{ op: 'add', path: '/f', value }] as PatchOperation[];
    assert.equal(serializePatch(ops), JSON.stringify(ops));
  });
});

describe('verifying a constant value once per type', () => {
  it('checks a constant value again for another type, and a changed composite around it every time', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } };
    const env = constantJson({ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const container = (extra: object) => withConstantParts({ name: 'proxy', env: withConstantParts([env, extra]) });
    const withContainer = (c: object) => ({ ...pod, spec: { ...pod.spec, containers: [pod.spec.containers[0], c] } });
    const add = (value: unknown) => [{ op: 'add', path: '/spec/containers/1', value }] as PatchOperation[];
    for (let i = 0; i < 3; i++) verifyPatch(pod, add(container({ name: 'B', value: 'b' })), withContainer(container({ name: 'B', value: 'b' })));
    // The composite's own parts are still checked, after its constant parts were verified.
    const bad = container({ name: 'B', value: 7 });
    assert.throws(() => verifyPatch(pod, add(bad), withContainer(bad)), /env\[1\]\.value: expected a string/);
    const nullItem = container(null as unknown as object);
    assert.throws(() => verifyPatch(pod, add(nullItem), withContainer(nullItem)), /env\[1\]: expected an object \(EnvVar\), got null/);
    // The variable verified as an EnvVar is not thereby accepted where a map of strings goes.
    const labels = [{ op: 'add', path: '/metadata/labels', value: env }] as PatchOperation[];
    assert.throws(() => verifyPatch(pod, labels, { ...pod, metadata: { ...pod.metadata, labels: env } }), /cannot decode at \/metadata\/labels: valueFrom: expected a string/);
  });
});

describe('marking composites', () => {
  it('leaves an object that cannot take the mark to be written as any value, and marks one twice harmlessly', () => {
    const sealed = Object.freeze({ name: 'x', env: [constantJson({ name: 'A', value: 'a' })] });
    const twice = withConstantParts(withConstantParts({ name: 'y', ports: constantJson([{ containerPort: 1 }]) }));
    const ops = [{ op: 'add', path: '/a', value: withConstantParts(sealed) }, { op: 'add', path: '/b', value: twice }] as PatchOperation[];
    assert.equal(serializePatch(ops), JSON.stringify(ops));
  });
});
