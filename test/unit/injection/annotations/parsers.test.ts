import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goTrimSpace, parseCidrList, parseGoBool, parseGoUint, parseInterceptionMode, parseInterfaceList, parsePortList } from '../../../../src/injection/annotations/index.js';

describe('annotation parsers', () => {
  it('reads port lists in order, trimmed, with * only where allowed', () => {
    assert.deepEqual(parsePortList(' 80, 443 ,8080 ', false), [80, 443, 8080]);
    assert.deepEqual(parsePortList('', false), []);
    assert.deepEqual(parsePortList('  ', true), []);
    assert.equal(parsePortList('*', true), '*');
    assert.throws(() => parsePortList('*', false), /failed parsing port '\*'/);
    assert.throws(() => parsePortList('1,+2', false), /failed parsing port '\+2'/);
  });

  it('reads CIDR lists as written, with * only where allowed', () => {
    assert.deepEqual(parseCidrList('10.0.0.0/8,fd00::/8', false), ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(parseCidrList('', true), []);
    assert.equal(parseCidrList('*', true), '*');
    assert.throws(() => parseCidrList('*', false), /no '\/'/);
    assert.throws(() => parseCidrList('abc/8', false), /unable to parse IP/);
    assert.throws(() => parseCidrList('256.0.0.0/8', false), /greater than 255/);
    assert.throws(() => parseCidrList('1.2.3/8', false), /four fields/);
    assert.throws(() => parseCidrList('1:2:3:4:5:6:7/64', false), /eight groups/);
    assert.throws(() => parseCidrList('::12345/64', false), /bad IPv6 group/);
    assert.throws(() => parseCidrList('::/129', false), /out of range/);
    assert.throws(() => parseCidrList('1.2.3.4::/64', false), /IPv4|IPv6/);
    assert.deepEqual(parseCidrList('::/0,1:2:3:4:5:6:1.2.3.4/128', false), ['::/0', '1:2:3:4:5:6:1.2.3.4/128']);
  });

  it('reads interface lists trimmed', () => {
    assert.deepEqual(parseInterfaceList('eth1, net1 '), ['eth1', 'net1']);
    assert.deepEqual(parseInterfaceList(''), []);
    assert.throws(() => parseInterfaceList(' '), /empty interface name/);
  });

  it('reads scalars as Go does', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true, t);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(f), false, f);
    for (const bad of ['yes', 'tRUE', ' true', '']) assert.equal(parseGoBool(bad), undefined, bad);
    assert.equal(parseGoUint('007', 16), 7);
    assert.equal(parseGoUint('65536', 16), undefined);
    assert.equal(parseGoUint('', 32), undefined);
    assert.equal(parseInterceptionMode('TPROXY'), 'TPROXY');
    assert.equal(parseInterceptionMode('tproxy'), undefined);
    assert.equal(goTrimSpace('\u00a0 x\u0085'), 'x');
    assert.equal(goTrimSpace('\ufeffx'), '\ufeffx');
  });
});
