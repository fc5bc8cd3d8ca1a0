import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { allow, decodeReview, deny, isPodCreate, serializeReview } from '../../../src/admission/index.js';
import { handleReview } from '../../../src/admission/review.js';
import { defaultConfig } from '../../../src/config/index.js';
import { reviewFixture } from '../../support/fixtures.js';

describe('AdmissionReview responses', () => {
  it('omits patch and patchType when the patch is empty', () => {
    assert.deepEqual(allow('admission.k8s.io/v1', 'u1', { patch: [] }), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1', allowed: true },
    });
  });

  it('sends patch and patchType together, the patch as base64 of a JSON array', () => {
    const review = allow('admission.k8s.io/v1beta1', 'u2', { patch: [{ op: 'add', path: '/a', value: 1 }] });
    assert.equal(review.apiVersion, 'admission.k8s.io/v1beta1');
    assert.equal(review.response?.patchType, 'JSONPatch');
    assert.equal(review.response?.patch, Buffer.from('[{"op":"add","path":"/a","value":1}]').toString('base64'));
  });

  it('encodes every patch on its own: an answer keeps its patch after later ones, small, large or not ASCII', () => {
    const decode = (review: ReturnType<typeof allow>) => JSON.parse(Buffer.from(review.response!.patch!, 'base64').toString('utf8'));
    const patches = [
      [{ op: 'add' as const, path: '/metadata/annotations/note', value: 'Grüße, 世界, 🚀' }],
      // Larger than the buffer the encoding reuses (64 KiB of UTF-8).
      [{ op: 'add' as const, path: '/metadata/annotations/big', value: 'é'.repeat(40_000) }],
      [{ op: 'add' as const, path: '/a', value: 1 }],
    ];
    const answers = patches.map((patch) => allow('admission.k8s.io/v1', 'u', { patch }));
    answers.forEach((answer, i) => {
      assert.deepEqual(decode(answer), patches[i]);
      assert.equal(answer.response?.patch, Buffer.from(JSON.stringify(patches[i]), 'utf8').toString('base64'));
    });
  });

  it('keeps warnings within the 4096 characters the apiserver forwards, dropping whole warnings', () => {
    const review = allow('admission.k8s.io/v1', 'u3', { warnings: ['a'.repeat(3000), 'b'.repeat(2000), 'c'] });
    assert.deepEqual(review.response?.warnings, ['a'.repeat(3000)]);
  });

  it('denies with a status code, message and reason', () => {
    assert.deepEqual(deny('admission.k8s.io/v1', 'u4', 400, 'bad annotation').response, {
      uid: 'u4',
      allowed: false,
      status: { code: 400, message: 'bad annotation', reason: 'BadRequest' },
    });
  });
});

describe('isPodCreate', () => {
  const pod = { group: '', version: 'v1', kind: 'Pod' };
  const cases: Array<[string, object, boolean]> = [
    ['a pod creation', { uid: 'x', kind: pod, operation: 'CREATE' }, true],
    ['a pod update', { uid: 'x', kind: pod, operation: 'UPDATE' }, false],
    ['a pods/exec subresource', { uid: 'x', kind: pod, operation: 'CREATE', subResource: 'exec' }, false],
    ['a pod of another API group', { uid: 'x', kind: { ...pod, group: 'example.com' }, operation: 'CREATE' }, false],
    ['a review without kind', { uid: 'x', operation: 'CREATE' }, false],
  ];
  for (const [name, request, expected] of cases) {
    it(`is ${expected} for ${name}`, () => assert.equal(isPodCreate(request as never), expected));
  }
});

describe('serializeReview', () => {
  it('gives the same JSON as JSON.stringify, for answers with and without a patch', () => {
    const context = { config: defaultConfig(), logger: pino({ level: 'silent' }), onInternalError: 'deny' as const };
    for (const name of ['pod-plain', 'pod-opted-out', 'pod-bad-annotation', 'service-create', 'pod-v1beta1']) {
      const body = reviewFixture(name);
      body.request.uid = 'uid-"quoted"\u2028';
      const { review } = handleReview(decodeReview(body), context);
      assert.deepEqual(JSON.parse(serializeReview(review)), JSON.parse(JSON.stringify(review)), name);
    }
    assert.ok(serializeReview(allow('admission.k8s.io/v1', 'u', { patch: [{ op: 'add', path: '/a', value: 1 }] })).endsWith('"patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL2EiLCJ2YWx1ZSI6MX1d"}}'));
  });
});
