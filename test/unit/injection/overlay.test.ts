import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overlayObject, strategicList } from '../../../src/injection/overlay.js';

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
