import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyObject } from '../../../src/patch/equal.js';

describe('copyObject', () => {
  it('copies every own key, `__proto__` and `constructor` as plain keys, in order', () => {
    const source = JSON.parse('{"b":1,"__proto__":{"x":2},"constructor":"c","a":[3]}');
    const copy = copyObject(source);
    assert.equal(JSON.stringify(copy), JSON.stringify(source));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype, 'the prototype is not replaced');
    assert.deepEqual(Object.keys(copy), ['b', '__proto__', 'constructor', 'a']);
  });

  it('is shallow and independent: keys added or changed on the copy leave the source alone', () => {
    const source = JSON.parse('{"labels":{"app":"web"},"name":"p"}');
    const copy = copyObject(source);
    copy.name = 'q';
    copy['security.istio.io/tlsMode'] = 'istio';
    assert.deepEqual(source, { labels: { app: 'web' }, name: 'p' });
    assert.equal(copy.labels, source.labels, 'values are shared');
  });
});
