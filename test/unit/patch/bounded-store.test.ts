import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedStore } from '../../../src/patch/bounded-store.js';

describe('BoundedStore', () => {
  it('keeps at most its share of new entries per use, and finds them in later uses', () => {
    const store = new BoundedStore<number>(100, 3);
    store.begin();
    for (let i = 0; i < 5; i++) assert.equal(store.keep(`k${i}`, i), i);
    store.begin();
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => store.get(`k${i}`)), [0, 1, 2, undefined, undefined]);
  });

  it('looks nothing up once a use has kept its share', () => {
    const store = new BoundedStore<number>(100, 2);
    store.begin();
    store.keep('a', 1);
    assert.equal(store.get('a'), 1);
    store.keep('b', 2);
    assert.equal(store.get('a'), undefined);
    store.begin();
    assert.equal(store.get('a'), 1);
  });

  it('empties itself when full, and never keeps a long key', () => {
    const store = new BoundedStore<number>(2, 10, 4);
    store.begin();
    store.keep('a', 1);
    store.keep('b', 2);
    store.keep('c', 3);
    store.keep('long-key', 4);
    store.begin();
    assert.deepEqual(['a', 'b', 'c', 'long-key'].map((k) => store.get(k)), [undefined, undefined, 3, undefined]);
  });
});
