import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepDefaults, overlayList, overlayObject, strategicList } from '../../../src/injection/overlay.js';

const keys = (list: { name?: unknown }[]) => list.map((item) => item.name);

describe('strategicList (strategic merge patch order)', () => {
  const cases: { title: string; original: string[]; patch: string[]; want: string[] }[] = [
    { title: 'patch-only items first when nothing is shared', original: ['a', 'b'], patch: ['x', 'y'], want: ['x', 'y', 'a', 'b'] },
    { title: 'original-only items stay before the patch items the original lists after them', original: ['p', 'c', 'q', 'd', 'r'], patch: ['j', 'p', 'q', 'r'], want: ['j', 'p', 'c', 'q', 'd', 'r'] },
    { title: 'the patch order wins for shared items', original: ['a', 'b', 'c'], patch: ['c', 'a'], want: ['b', 'c', 'a'] },
    { title: 'an item only the original has, listed last, stays last', original: ['a', 'b', 'z'], patch: ['a', 'n', 'b'], want: ['a', 'n', 'b', 'z'] },
    { title: 'empty patch keeps the original', original: ['a', 'b'], patch: [], want: ['a', 'b'] },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const out = strategicList(c.original.map((name) => ({ name })), c.patch.map((name) => ({ name })), 'name');
      assert.deepEqual(keys(out), c.want);
    });
  }

  it('merges items with the same key, the patch winning', () => {
    const out = strategicList([{ name: 'a', value: '1', keep: true }], [{ name: 'a', value: '2' }], 'name');
    assert.deepEqual(out, [{ name: 'a', value: '2', keep: true }]);
  });

  it('overlayObject in strategic order applies the same rule to nested keyed lists', () => {
    const out = overlayObject(
      { name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }] },
      { env: [{ name: 'OLD', value: 'x' }, { name: 'A', value: '9' }, { name: 'C', value: '3' }] },
      true,
    );
    assert.deepEqual(out.env, [{ name: 'OLD', value: 'x' }, { name: 'A', value: '9' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }]);
  });

  it('overlayObject in default order puts the overlay items first, then the base items', () => {
    const out = overlayObject({ volumes: [{ name: 'a' }, { name: 'b' }] }, { volumes: [{ name: 'b', x: 1 }, { name: 'c' }] });
    assert.deepEqual(out.volumes, [{ name: 'b', x: 1 }, { name: 'c' }, { name: 'a' }]);
  });
});

describe('keyed lists with a repeated key (two variables of one name, one port for TCP and UDP)', () => {
  const fieldRef = { fieldRef: { fieldPath: 'metadata.name' } };
  const env = [{ name: 'X', valueFrom: fieldRef }, { name: 'Y', value: 'y' }, { name: 'X', value: 'abc' }];

  it('the n-th item of the overlay merges with the n-th item of the base with that key', () => {
    assert.deepEqual(overlayList(env, env, 'name'), env);
    assert.deepEqual(strategicList(env, env, 'name'), env);
    assert.deepEqual(keepDefaults(env, env, 'env'), env);
    const ports = [{ containerPort: 53, protocol: 'TCP', name: 'dns-tcp' }, { containerPort: 53, protocol: 'UDP', name: 'dns' }];
    assert.deepEqual(strategicList(ports, ports, 'containerPort'), ports);
  });

  it('a template variable of a repeated name merges with the first only; the others are kept whole', () => {
    const template = [{ name: 'X', value: 'from-template' }];
    assert.deepEqual(overlayList(env, template, 'name'), [{ name: 'X', value: 'from-template', valueFrom: fieldRef }, { name: 'Y', value: 'y' }, { name: 'X', value: 'abc' }]);
    assert.deepEqual(strategicList(env, template, 'name'), [{ name: 'X', valueFrom: fieldRef, value: 'from-template' }, { name: 'Y', value: 'y' }, { name: 'X', value: 'abc' }]);
  });

  it('the two steps of laying a user container over an injected one keep its repeated variables as they are', () => {
    const user = { name: 'app', env };
    const injected = { name: 'app', env: [{ name: 'G', value: '1' }] };
    const out = overlayObject(overlayObject(user, injected, true), user, true);
    assert.deepEqual(out.env, [{ name: 'G', value: '1' }, ...env]);
  });

  it('keepDefaults carries fields defaulted since over the matching occurrence only', () => {
    const before = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }, { name: 'X', value: 'abc' }];
    assert.deepEqual(keepDefaults(before, [{ name: 'X', valueFrom: fieldRef }, { name: 'X', value: 'abc' }], 'env'), before);
  });
});

describe('keys named like Object.prototype properties are plain keys', () => {
  const parsed = (text: string) => JSON.parse(text);

  it('overlayObject sets, merges and keeps __proto__, constructor and prototype as own keys', () => {
    const base = parsed('{"__proto__":{"a":1},"constructor":{"b":1},"keep":1}');
    const overlay = parsed('{"__proto__":{"c":2},"constructor":[1],"prototype":{"d":3}}');
    const out = overlayObject(base, overlay);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(JSON.stringify(out), '{"__proto__":{"a":1,"c":2},"constructor":[1],"keep":1,"prototype":{"d":3}}');
    // A key absent from the base is not read from Object.prototype, nor set as the prototype.
    assert.equal(JSON.stringify(overlayObject({}, parsed('{"__proto__":{"x":1},"toString":{"y":1}}'))), '{"__proto__":{"x":1},"toString":{"y":1}}');
    // Lists under such keys are not keyed lists: the overlay's replaces the base's.
    assert.equal(JSON.stringify(overlayObject({ constructor: [{ name: 'a', x: 1 }] }, { constructor: [{ name: 'b' }] })), '{"constructor":[{"name":"b"}]}');
  });

  it('keepDefaults carries over fields named so, and never reads inherited ones', () => {
    const out = keepDefaults(parsed('{"__proto__":{"a":1,"b":2}}'), parsed('{"__proto__":{"a":3},"constructor":{"c":4}}')) as object;
    assert.equal(JSON.stringify(out), '{"__proto__":{"a":3,"b":2},"constructor":{"c":4}}');
  });
});
