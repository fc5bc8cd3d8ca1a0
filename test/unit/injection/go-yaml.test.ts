/**
 * YAML read as go-yaml v2 reads it (Istio's and kubectl's reader), and floats written as Go
 * writes them into strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoFloat, goFloat32String, goResolve, parseGoYaml, toJsonValue } from '../../../src/injection/go-yaml.js';

describe('go-yaml v2 rules', () => {
  it('resolves plain scalars as YAML 1.1 does in go-yaml', () => {
    const cases: Array<[string, unknown]> = [
      ['yes', true], ['On', true], ['y', true], ['n', false], ['OFF', false], ['~', null], ['null', null],
      ['0123', 83], ['0x1F', 31], ['0b101', 5], ['1_000', 1000], ['-0', 0], ['12:30', '12:30'], ['2001-12-14', '2001-12-14'],
      ['1.5.6', '1.5.6'], ['maybe', 'maybe'], ['+', '+'], ['1e1000', '1e1000'], ['.5e999', '.5e999'],
    ];
    for (const [text, value] of cases) assert.deepEqual(goResolve(text), value, text);
    for (const [text, value] of [['1.0', 1], ['1e3', 1000], ['.5', 0.5], ['08', 8], ['.inf', Infinity]] as const) {
      const resolved = goResolve(text);
      assert.ok(resolved instanceof GoFloat && resolved.value === value, text);
    }
  });

  it('keeps quoted scalars strings, and turns keys into the strings Go writes', () => {
    assert.deepEqual(parseGoYaml('a: "yes"\nb: yes\n1: x\nn: z'), { a: 'yes', b: true, '1': 'x', false: 'z' });
  });

  it('refuses floats JSON cannot hold, as Go does', () => {
    assert.throws(() => toJsonValue(parseGoYaml('a: .inf')), /json: unsupported value: \+Inf/);
  });

  it("writes floats into strings as Go's FormatFloat(f, 'g', -1, 32) does", () => {
    const cases: Array<[number, string]> = [[1, '1'], [1.5, '1.5'], [1e6, '1e+06'], [123456, '123456'], [1e-5, '1e-05'], [0.0001, '0.0001'], [123456789, '1.2345679e+08'], [0.1, '0.1'], [3.14159265358979, '3.1415927']];
    for (const [value, text] of cases) assert.equal(goFloat32String(value), text, String(value));
  });
});
