import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeSegment, parsePointer } from '../../../src/patch/pointer.js';

describe('JSON pointers', () => {
  it('splits a pointer into segments; "" is the whole document', () => {
    assert.deepEqual(parsePointer(''), []);
    assert.deepEqual(parsePointer('/spec/containers/0/env/-'), ['spec', 'containers', '0', 'env', '-']);
    assert.deepEqual(parsePointer('/metadata/annotations/'), ['metadata', 'annotations', '']);
  });

  it('decodes ~1 to / and ~0 to ~, in that order', () => {
    assert.deepEqual(parsePointer('/metadata/labels/security.istio.io~1tlsMode'), ['metadata', 'labels', 'security.istio.io/tlsMode']);
    assert.deepEqual(parsePointer('/a~01/b~0~1c'), ['a~1', 'b~/c']);
  });

  it('round-trips escaped segments', () => {
    for (const segment of ['plain', 'a/b', 'a~b', '~1', '/~0/', '']) {
      assert.deepEqual(parsePointer(`/x/${escapeSegment(segment)}`), ['x', segment]);
    }
  });

  it('refuses a pointer that does not start with /', () => {
    assert.throws(() => parsePointer('spec/containers'), /invalid JSON pointer 'spec\/containers': must start with '\/'/);
  });
});
