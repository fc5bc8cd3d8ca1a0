import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalQuantity, isValidQuantity } from '../../../src/injection/quantity.js';

describe('canonicalQuantity writes quantities as Kubernetes does', () => {
  const cases: Array<[string | number, string]> = [
    ['2000m', '2'], ['1000m', '1'], ['1.5', '1500m'], ['100m', '100m'], ['0', '0'], ['0m', '0'], [2, '2'],
    ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'], ['128Mi', '128Mi'], ['0.5Gi', '512Mi'], ['1000', '1k'], ['1000M', '1G'], ['1e3', '1e3'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => assert.equal(canonicalQuantity(input), expected));
  }

  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1.2.3', '10 Mi', 'Mi']) assert.equal(isValidQuantity(bad), false, bad);
    assert.throws(() => canonicalQuantity('abc'), /'abc' is not a quantity/);
  });
});
