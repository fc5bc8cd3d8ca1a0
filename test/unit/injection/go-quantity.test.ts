import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goQuantityString } from '../../../src/injection/go-quantity.js';

describe('goQuantityString, remembered', () => {
  // Spellings that differ only in what Go keeps as written: a remembered answer for one must never
  // be handed out for another.
  const cases: Array<[string, string]> = [
    ['5.', '5.'],
    ['5.0', '5'],
    ['05', '05'],
    ['00', '0'],
    ['1024Mi', '1Gi'],
    ['1024Mi'.padStart(7, '0'), '1Gi'],
    ['2000m', '2'],
    ['1.50', '1500m'],
  ];

  it('gives the same answers the first time, again, and in the other order', () => {
    for (const [input, written] of cases) assert.equal(goQuantityString(input), written, input);
    for (const [input, written] of [...cases].reverse()) assert.equal(goQuantityString(input), written, `${input}, again`);
  });

  it('stays right once it remembers no more (more distinct quantities than it keeps), and for long ones it never keeps', () => {
    for (let i = 0; i < 1500; i++) {
      // 1.0 to 999.0, then 1.00 to 501.00: all distinct, each written back as its integer.
      const n = (i % 999) + 1;
      assert.equal(goQuantityString(`${n}.${'0'.repeat(1 + Math.floor(i / 999))}`), String(n));
    }
    for (const [input, written] of cases) assert.equal(goQuantityString(input), written, input);
    const long = `1${'0'.repeat(70)}m`;
    assert.equal(goQuantityString(long), goQuantityString(long));
    assert.equal(goQuantityString(1536), '1536');
  });
});
