import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedStore } from '../../../src/patch/bounded-store.js';

describe('BoundedStore', () => {
  it('finds what it kept, and empties itself when full', () => {
    const store = new BoundedStore<number>(2);
    store.keep('a', 1);
    store.keep('b', 2);
    assert.deepEqual([store.get('a'), store.get('b')], [1, 2]);
    assert.equal(store.keep('c', 3), 3);
    assert.deepEqual([store.get('a'), store.get('b'), store.get('c')], [undefined, undefined, 3]);
  });

  it('never keeps a long key', () => {
    const store = new BoundedStore<number>(10, Number.POSITIVE_INFINITY, 4);
    assert.equal(store.keep('long-key', 1), 1);
    store.keep('key', 2);
    assert.deepEqual([store.get('long-key'), store.get('key')], [undefined, 2]);
  });

  it('neither looks up nor keeps anything in a use meeting more keys than a large use', () => {
    const store = new BoundedStore<number>(100, 2);
    store.begin(1);
    store.keep('a', 1);
    store.begin(3);
    assert.equal(store.get('a'), undefined);
    store.keep('b', 2);
    store.begin(2);
    assert.deepEqual([store.get('a'), store.get('b')], [1, undefined]);
  });
});
