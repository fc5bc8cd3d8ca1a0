import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInjectPath } from '../../../src/server/routes/inject.js';

describe('parseInjectPath reads Istio-style /inject path parameters', () => {
  const cases: Array<[string, ReturnType<typeof parseInjectPath>]> = [
    ['', { ignored: [] }],
    ['cluster/east', { clusterId: 'east', ignored: [] }],
    ['cluster/east/net/network-1', { clusterId: 'east', network: 'network-1', ignored: [] }],
    ['net/n%2F1/', { network: 'n/1', ignored: [] }],
    ['cluster/east/zone/a/net', { clusterId: 'east', ignored: ['zone/a', 'net'] }],
    // A malformed escape is reported, not thrown (it was an internal server error).
    ['cluster/%E0%A4%A/net/n1', { network: 'n1', ignored: ['cluster/%E0%A4%A'] }],
  ];
  for (const [rest, expected] of cases) {
    it(`/inject/${rest}`, () => assert.deepEqual(parseInjectPath(rest), expected));
  }
});
