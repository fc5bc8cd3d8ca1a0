import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InjectorError } from '../../../src/errors.js';
import { canonicalQuantity, isValidQuantity, parseQuantity } from '../../../src/injection/quantity.js';

describe('canonicalQuantity writes quantities as Kubernetes does', () => {
  const cases: Array<[string | number, string]> = [
    // DecimalSI: the largest multiple-of-three exponent keeping an integer mantissa.
    ['2000m', '2'], ['1000m', '1'], ['1.5', '1500m'], ['100m', '100m'], ['0', '0'], ['0m', '0'], [2, '2'],
    ['1000', '1k'], ['1500', '1500'], ['1500000', '1500k'], ['1000M', '1G'], ['1G', '1G'], ['0.1', '100m'],
    ['1.', '1'], ['1.G', '1G'], ['.5', '500m'], ['+', '0'], ['.', '0'], ['-0', '0'], ['-1.5', '-1500m'],
    // Nothing finer than a nano unit: rounded away from zero.
    ['1.5n', '2n'], ['-1.5n', '-2n'], ['0.0000000001', '1n'],
    // BinarySI: a power of 1024 when the value is an integer of at least 1024, else DecimalSI.
    ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'], ['128Mi', '128Mi'], ['0.5Gi', '512Mi'], ['2048Ki', '2Mi'],
    ['1Ki', '1Ki'], ['0.5Ki', '512'], ['1.1Ki', '1126400m'], ['0Mi', '0'],
    // DecimalExponent keeps the exponent style.
    ['1e3', '1e3'], ['1E3', '1e3'], ['1.5e3', '1500'], ['1e-10', '1e-9'], ['12e6', '12e6'],
    // The exa suffix is not an exponent.
    ['1E', '1E'],
    // Kubernetes reads a missing number as zero.
    ['Mi', '0'], ['k', '0'],
    // Capped at the largest int64.
    ['99999999999999999999', '9223372036854775807'], ['1e100', '9223372036854775807'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => assert.equal(canonicalQuantity(input), expected));
  }

  it('keeps the suffix family it was written in', () => {
    assert.equal(parseQuantity('1Gi').format, 'BinarySI');
    assert.equal(parseQuantity('1G').format, 'DecimalSI');
    assert.equal(parseQuantity('1e9').format, 'DecimalExponent');
  });

  it('refuses what Kubernetes refuses', () => {
    for (const bad of ['', 'abc', '1.2.3', '10 Mi', ' 1', '1 ', '1K', '1e', '1mi', '1Gi5', '1k+', '--1', '1,5', '0x10']) {
      assert.equal(isValidQuantity(bad), false, bad);
    }
    assert.throws(() => canonicalQuantity('abc'), (err: unknown) => err instanceof InjectorError && /'abc' is not a quantity/.test(err.message));
  });
});
