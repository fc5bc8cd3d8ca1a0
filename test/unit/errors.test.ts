import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, InjectorError } from '../../src/errors.js';

describe('the error catalogue', () => {
  it('gives every code an HTTP error status and a summary', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(entry.status >= 400 && entry.status < 600, `${code} has status ${entry.status}`);
      assert.match(entry.summary, /^[a-z]/, `${code} summary starts lower-case`);
      assert.ok(!entry.summary.endsWith('.'), `${code} summary has no trailing period`);
    }
  });

  it('carries code, status and a custom message on InjectorError', () => {
    const err = new InjectorError('BODY_TOO_LARGE', 'body of 9 MiB exceeds 8 MiB');
    assert.equal(err.code, 'BODY_TOO_LARGE');
    assert.equal(err.status, 413);
    assert.equal(err.message, 'body of 9 MiB exceeds 8 MiB');
  });
});
