import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { uidSpan } from '../../../src/admission/uid-span.js';
import { reviewFixtureText } from '../../support/fixtures.js';

/** JSON text inserted as is. */
class Raw {
  constructor(readonly text: string) {}
}
const writeKey = (key: string, escaped: boolean) => (escaped ? `"${key.replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}"` : JSON.stringify(key));
function write(pairs: Array<[string, unknown]>, space: string): Raw {
  return new Raw(`{${pairs.map(([k, v]) => `${space}${k}${space}:${space}${v instanceof Raw ? v.text : JSON.stringify(v)}`).join(',')}${space}}`);
}
const withUid = (text: string, span: [number, number], uid: string) => `${text.slice(0, span[0])}${JSON.stringify(uid)}${text.slice(span[1])}`;
/** The parsed review with request.uid set aside. */
function withoutUid(text: string): unknown {
  const parsed = JSON.parse(text);
  if (typeof parsed?.request === 'object' && parsed.request !== null && !Array.isArray(parsed.request)) delete parsed.request.uid;
  return parsed;
}

describe('uidSpan', () => {
  it('finds the uid of every sample review, where the apiserver writes it', () => {
    for (const name of ['pod-plain', 'pod-http-probes', 'pod-v1beta1', 'pod-generatename-replicaset', 'service-create']) {
      const text = reviewFixtureText(name);
      const span = uidSpan(text);
      assert.ok(span !== undefined, name);
      assert.equal(JSON.parse(text.slice(span![0], span![1])), JSON.parse(text).request.uid, name);
    }
  });

  it('skips uids elsewhere: in the pod, in userInfo, in strings', () => {
    const review = {
      kind: 'AdmissionReview',
      request: { userInfo: { uid: 'user', extra: { x: ['"uid":"no"'] } }, object: { metadata: { uid: 'pod', ownerReferences: [{ uid: 'owner' }] } }, uid: 'the-review' },
    };
    for (const text of [JSON.stringify(review), JSON.stringify(review, null, 2)]) {
      const span = uidSpan(text)!;
      assert.equal(text.slice(span[0], span[1]), '"the-review"');
    }
  });

  it('finds nothing in texts that are not reviews as the apiserver writes them', () => {
    for (const text of ['{"request":{"uid":1}}', '{"kind":{},"request":{"uid":"u"}}', '[{"request":{"uid":"u"}}]', '{"request":{"object":{}}}', '"uid"', '{"request":{"uid":"u']) {
      assert.equal(uidSpan(text), undefined, text);
    }
  });

  it('marks a span whose content reaches nothing but request.uid, whatever the keys repeat or escape', () => {
    const key = (names: string[]) => fc.tuple(fc.constantFrom(...names), fc.boolean()).map(([k, escaped]) => writeKey(k, escaped));
    const value = fc.oneof(fc.string(), fc.string(), fc.jsonValue({ maxDepth: 2 }), fc.constant({ uid: 'inner', request: { uid: 'deeper' } }));
    const request = fc.array(fc.tuple(key(['uid', 'object', 'uid', 'namespace']), value), { maxLength: 4 });
    const top = fc.tuple(fc.array(fc.tuple(key(['request', 'request', 'kind']), request), { minLength: 1, maxLength: 3 }), fc.constantFrom('', ' ', '\n  '));
    let found = 0;
    fc.assert(
      fc.property(top, fc.string(), ([entries, space], other) => {
        const text = write(entries.map(([k, pairs]) => [k, write(pairs as Array<[string, unknown]>, space)]), space).text;
        const span = uidSpan(text);
        if (span === undefined) return;
        found++;
        assert.deepEqual(withoutUid(withUid(text, span, other)), withoutUid(text));
      }),
      { numRuns: 1500, seed: 11 },
    );
    assert.ok(found > 100, `${found} spans checked`);
  });
});
