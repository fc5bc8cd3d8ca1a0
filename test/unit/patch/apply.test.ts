import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InjectorError } from '../../../src/errors.js';
import { applyPatch, cloneJson, PatchApplyError, type PatchOperation, verifyPatch } from '../../../src/patch/index.js';

const pod = { metadata: { name: 'p', labels: { 'a/b': '1' } }, spec: { containers: [{ name: 'app' }] } };

describe('applyPatch follows the apiserver rules', () => {
  const failures: Array<[string, PatchOperation, RegExp]> = [
    ['add under a missing parent', { op: 'add', path: '/metadata/annotations/x', value: 'y' }, /missing path/],
    ['add with an empty path', { op: 'add', path: '', value: {} }, /empty path/],
    ['add past the end of a list', { op: 'add', path: '/spec/containers/2', value: {} }, /out of bounds/],
    ['remove of a missing key', { op: 'remove', path: '/metadata/annotations' }, /missing key/],
    ['replace of a missing key', { op: 'replace', path: '/metadata/uid', value: 'u' }, /missing key/],
    ['remove past the end of a list', { op: 'remove', path: '/spec/containers/1' }, /out of bounds/],
    ['a non-numeric list index', { op: 'replace', path: '/spec/containers/first', value: {} }, /invalid array index/],
  ];
  for (const [name, op, message] of failures) {
    it(`refuses ${name}`, () => {
      assert.throws(() => applyPatch(pod, [op]), (err: unknown) => err instanceof PatchApplyError && message.test(err.message));
    });
  }

  it('decodes ~1 and ~0, appends with -, inserts at the length, and leaves the input untouched', () => {
    const result = applyPatch(pod, [
      { op: 'replace', path: '/metadata/labels/a~1b', value: '2' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'x' } },
      { op: 'add', path: '/spec/containers/2', value: { name: 'y' } },
      { op: 'add', path: '/metadata/labels/t~0', value: 'z' },
    ]);
    assert.deepEqual(result, {
      metadata: { name: 'p', labels: { 'a/b': '2', 't~': 'z' } },
      spec: { containers: [{ name: 'app' }, { name: 'x' }, { name: 'y' }] },
    });
    assert.deepEqual(pod.spec.containers, [{ name: 'app' }]);
  });

  it('copies only what lies on the way to a change: the input, and values it adds, stay as they were', () => {
    const env = Array.from({ length: 20_000 }, (_, i) => ({ name: `V${i}`, value: String(i) }));
    const input = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'app', env }, { name: 'side', env: [{ name: 'A', value: 'a' }] }] } };
    const before = structuredClone(input);
    const added = { name: 'proxy', env: [{ name: 'X', value: 'x' }] };
    const result = applyPatch(input, [
      { op: 'add', path: '/spec/containers/-', value: added },
      { op: 'add', path: '/spec/containers/2/env/-', value: { name: 'Y', value: 'y' } },
      { op: 'replace', path: '/spec/containers/1/env/0/value', value: 'b' },
      { op: 'remove', path: '/metadata/labels/a' },
    ]);
    assert.deepEqual(input, before, 'the input is unchanged');
    assert.deepEqual(added, { name: 'proxy', env: [{ name: 'X', value: 'x' }] }, 'a value the patch added is unchanged');
    assert.equal(result.spec.containers[0]!.env, env, 'an untouched list is shared, not copied');
    assert.equal(result.spec.containers[0], input.spec.containers[0]);
    assert.notEqual(result.spec.containers[1], input.spec.containers[1]);
    assert.deepEqual(result.spec.containers[1]!.env, [{ name: 'A', value: 'b' }]);
    assert.deepEqual(result.spec.containers[2], { name: 'proxy', env: [{ name: 'X', value: 'x' }, { name: 'Y', value: 'y' }] });
    assert.deepEqual(result.metadata.labels, {});
  });
});

describe('verifyPatch', () => {
  it('accepts a patch that yields the rendered pod', () => {
    const rendered = { ...pod, spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] } };
    verifyPatch(pod, [{ op: 'add', path: '/spec/containers/1', value: { name: 'istio-proxy' } }], rendered);
  });

  it('refuses a patch that does not apply', () => {
    assert.throws(
      () => verifyPatch(pod, [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }], pod),
      (err: unknown) => err instanceof InjectorError && err.code === 'PATCH_VERIFICATION_FAILED' && /does not apply/.test(err.message),
    );
  });

  it('refuses a patch whose result differs from the rendered pod', () => {
    assert.throws(() => verifyPatch(pod, [], { ...pod, extra: true }), /does not produce the rendered pod/);
  });

  it('refuses a patch that introduces a duplicate container name or a mount of a missing volume', () => {
    const broken = {
      ...pod,
      spec: { initContainers: [{ name: 'app' }], containers: [{ name: 'app', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] },
    };
    const ops: PatchOperation[] = [{ op: 'replace', path: '/spec', value: broken.spec }];
    assert.throws(() => verifyPatch(pod, ops, broken), /container name 'app' is used twice.*mounts volume 'nope'/);
  });

  it('refuses a patch that gives a variable both a value and valueFrom; a pod that had one already is not blamed on us', () => {
    const fieldRef = { fieldRef: { fieldPath: 'metadata.name' } };
    const original = { ...pod, spec: { containers: [{ name: 'app', env: [{ name: 'X', valueFrom: fieldRef }, { name: 'E', value: '', valueFrom: fieldRef }] }] } };
    const folded = { ...pod, spec: { containers: [{ name: 'app', env: [{ name: 'X', valueFrom: fieldRef, value: 'abc' }, { name: 'E', value: '', valueFrom: fieldRef }] }] } };
    const ops: PatchOperation[] = [{ op: 'add', path: '/spec/containers/0/env/0/value', value: 'abc' }];
    assert.throws(() => verifyPatch(original, ops, folded), /patched pod would be refused by the apiserver: container 'app' sets variable 'X' with both value and valueFrom/);
    verifyPatch(folded, [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], { ...folded, metadata: { ...folded.metadata, labels: { ...folded.metadata.labels, x: 'y' } } });
  });
});

describe('keys named like Object.prototype properties', () => {
  it('are added, replaced, removed and copied as plain keys, as the apiserver (Go maps) has them', () => {
    const doc = JSON.parse('{"metadata":{"labels":{"__proto__":"a","constructor":"b"}}}');
    const out = applyPatch(doc, [
      { op: 'replace', path: '/metadata/labels/__proto__', value: 'x' },
      { op: 'add', path: '/metadata/labels/prototype', value: 'y' },
      { op: 'remove', path: '/metadata/labels/constructor' },
      { op: 'add', path: '/metadata/annotations', value: JSON.parse('{"__proto__":"z"}') },
    ]);
    assert.equal(JSON.stringify(out), '{"metadata":{"labels":{"__proto__":"x","prototype":"y"},"annotations":{"__proto__":"z"}}}');
    assert.equal(JSON.stringify(doc), '{"metadata":{"labels":{"__proto__":"a","constructor":"b"}}}');
    assert.throws(() => applyPatch({ metadata: {} }, [{ op: 'remove', path: '/metadata/constructor' }]), PatchApplyError);
    assert.throws(() => applyPatch({ metadata: {} }, [{ op: 'add', path: '/metadata/__proto__/x', value: 1 }]), PatchApplyError);
    assert.equal(JSON.stringify(cloneJson(JSON.parse('{"__proto__":{"a":[{"__proto__":1}]}}'))), '{"__proto__":{"a":[{"__proto__":1}]}}');
  });
});
