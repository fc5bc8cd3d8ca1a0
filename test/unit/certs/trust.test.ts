/**
 * Whether a caBundle trusts a serving certificate, as the apiserver verifies it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { bundleCertificates, bundleTrusts } from '../../../src/certs/trust.js';

describe('bundleTrusts', () => {
  let first: KeyPair;
  let second: KeyPair;
  let leaf: KeyPair;
  before(async () => {
    first = await generateCa({ commonName: 'ca' });
    // Same common name: only the random subject suffix and the key tell them apart.
    second = await generateCa({ commonName: 'ca' });
    leaf = await generateServingCert(first, { sans: ['injector.ns.svc'] });
  });

  it('trusts a certificate its CA signed, alone or next to another CA, in any order', () => {
    assert.equal(bundleTrusts(first.cert, leaf.cert), true);
    assert.equal(bundleTrusts(`${second.cert}\n${first.cert}`, leaf.cert), true);
    assert.equal(bundleTrusts(`${first.cert}${second.cert}`, Buffer.from(leaf.cert)), true);
  });

  it('does not trust it through another CA, an empty bundle or damaged input', () => {
    assert.equal(bundleTrusts(second.cert, leaf.cert), false);
    assert.equal(bundleTrusts('', leaf.cert), false);
    assert.equal(bundleTrusts('-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n', leaf.cert), false);
    assert.equal(bundleTrusts(first.cert, 'not a certificate'), false);
  });

  it('reads every certificate of a bundle and skips blocks that do not parse', () => {
    assert.equal(bundleCertificates(`${first.cert}\n-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n${second.cert}`).length, 2);
  });
});
