/**
 * The emulator catches the faults it exists to catch: a patch under a missing parent, a wrong
 * uid, certificates the apiserver refuses, malformed answers, invalid configurations.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { generateCa, generateServingCert, type KeyPair } from '../../src/certs/generate.js';
import { ApiError, FakeApiServer } from './emulator/apiserver.js';
import { decodeAnswer } from './emulator/call.js';
import { appPod, injectorConfiguration, startFakeWebhook } from './emulator/harness.js';
import { applyJsonPatchV4, PatchError } from './emulator/json-patch-v4.js';
import { validatePod } from './emulator/pod-validation.js';
import { validateWebhookConfiguration } from './emulator/webhook-configuration.js';

const SVC = 'sidecar-injector.istio-system.svc';

function answer(review: any, response: Record<string, unknown>) {
  return { body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...response } } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('the emulator catches faulty webhooks', () => {
  let ca: KeyPair;
  let leaf: KeyPair;
  before(async () => {
    ca = await generateCa();
    leaf = await generateServingCert(ca, { sans: [SVC] });
  });

  async function createWith(tls: KeyPair, handler: (review: any) => any, caBundle = Buffer.from(ca.cert).toString('base64')) {
    const hook = await startFakeWebhook(tls, handler);
    try {
      const api = new FakeApiServer();
      api.registerService('sidecar-injector', 'istio-system', hook.port);
      api.applyConfiguration(injectorConfiguration(caBundle, { reinvocationPolicy: 'Never' }));
      api.createNamespace('shop', { 'istio-injection': 'enabled' });
      return await api.createPod('shop', appPod());
    } finally {
      await hook.close();
    }
  }

  it('refuses a patch that adds under a missing parent', async () => {
    await assert.rejects(
      createWith(leaf, (r) => answer(r, { patchType: 'JSONPatch', patch: b64([{ op: 'add', path: '/metadata/annotations/x', value: 'y' }]) })),
      (err: unknown) => err instanceof ApiError && err.code === 500 && /doc is missing path: "\/metadata\/annotations\/x"/.test(err.message),
    );
  });

  it('treats a wrong uid as a call failure', async () => {
    await assert.rejects(createWith(leaf, (_r) => ({ body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'other', allowed: true } } })), /failed calling webhook.*expected response.uid/);
  });

  it('refuses a certificate without the service DNS name', async () => {
    const wrong = await generateServingCert(ca, { sans: ['other.svc'] });
    await assert.rejects(createWith(wrong, (r) => answer(r, {})), /x509: certificate is valid for other.svc, not sidecar-injector.istio-system.svc/);
  });

  it('refuses a CN-only certificate', async () => {
    const cnOnly = await selfsigned.generate([{ name: 'commonName', value: SVC }], {
      algorithm: 'sha256',
      keyType: 'ec',
      ca: { key: ca.key, cert: ca.cert },
      extensions: [{ name: 'basicConstraints', cA: false }],
    });
    await assert.rejects(createWith({ cert: cnOnly.cert, key: cnOnly.private }, (r) => answer(r, {})), /legacy Common Name/);
  });

  it('refuses a SHA-1 signed certificate', async () => {
    // An RSA CA, since SHA-1 signatures are made with RSA keys here.
    const rsaCa = await selfsigned.generate([{ name: 'commonName', value: 'rsa-ca' }], {
      algorithm: 'sha256',
      keyType: 'rsa',
      extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true }],
    });
    const sha1 = await selfsigned.generate([{ name: 'commonName', value: SVC }], {
      algorithm: 'sha1',
      keyType: 'rsa',
      ca: { key: rsaCa.private, cert: rsaCa.cert },
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: SVC }] }],
    });
    // The server is allowed to present it (security level 0); the apiserver side must refuse it.
    const weak = { cert: sha1.cert, key: sha1.private, ciphers: 'DEFAULT:@SECLEVEL=0' };
    await assert.rejects(createWith(weak, (r) => answer(r, {}), Buffer.from(rsaCa.cert).toString('base64')), /failed calling webhook.*(SHA1|md too weak|signature)/i);
  });

  it('refuses a server certificate from another CA', async () => {
    const other = await generateCa();
    await assert.rejects(createWith(leaf, (r) => answer(r, {}), Buffer.from(other.cert).toString('base64')), /failed calling webhook/);
  });

  it('turns a denial into the client error with the webhook name', async () => {
    await assert.rejects(createWith(leaf, (r) => answer(r, { allowed: false, status: { code: 403, message: 'nope' } })), (err: unknown) => err instanceof ApiError && err.code === 403 && err.message === 'admission webhook "sidecar-injector.istio.io" denied the request: nope');
  });

  it('keeps warnings and prefixes audit annotations, dropping invalid keys', async () => {
    const result = await createWith(leaf, (r) => answer(r, { warnings: ['careful'], auditAnnotations: { reason: 'x', 'bad key': 'y' } }));
    assert.deepEqual(result.warnings, ['careful']);
    assert.deepEqual(result.auditAnnotations, { 'sidecar-injector.istio.io/reason': 'x' });
  });

  it('refuses the pod when the patched pod is invalid', async () => {
    await assert.rejects(
      createWith(leaf, (r) => answer(r, { patchType: 'JSONPatch', patch: b64([{ op: 'add', path: '/spec/containers/-', value: { name: 'web', image: 'x' } }]) })),
      (err: unknown) => err instanceof ApiError && err.code === 422 && /Duplicate value: "web"/.test(err.message),
    );
  });
});

describe('the emulator decodes answers strictly', () => {
  const review = { apiVersion: 'admission.k8s.io/v1', request: { uid: 'u1' } };
  const body = (response: unknown, extra: object = {}) => Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response, ...extra }));
  const cases: Array<[string, number, Buffer, RegExp]> = [
    ['a non-2xx status, keeping a failed Status\'s message', 500, Buffer.from('{"kind":"Status","status":"Failure","message":"boom"}'), /^failed to call webhook: boom$/],
    ['a 500 without a Status', 500, Buffer.from('oops'), /^failed to call webhook: an error on the server \("unknown"\) has prevented the request from succeeding$/],
    ['a 404 without a Status', 404, Buffer.from('{}'), /^failed to call webhook: the server could not find the requested resource$/],
    ['a 302', 302, Buffer.from('moved'), /^failed to call webhook: the server responded with the status code 302 but did not return more information$/],
    ['an undecodable body', 200, Buffer.from('not json'), /^failed to call webhook: couldn't get version\/kind; json parse error: json: cannot unmarshal string into Go value of type struct/],
    ['an empty body', 200, Buffer.alloc(0), /^failed to call webhook: 0-length response with status code: 200 and content type: application\/json$/],
    ['a v1beta1 answer to a v1 review', 200, body({ uid: 'u1', allowed: true }, { apiVersion: 'admission.k8s.io/v1beta1' }), /^failed to call webhook: converting \(v1beta1.AdmissionReview\) to \(v1.AdmissionReview\): unknown conversion$/],
    ['an unknown apiVersion', 200, body({ uid: 'u1', allowed: true }, { apiVersion: 'foo/v1' }), /^failed to call webhook: no kind "AdmissionReview" is registered for version "foo\/v1" in scheme "pkg\/runtime\/scheme.go:111"$/],
    ['a missing response', 200, Buffer.from('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}'), /^received invalid webhook response: webhook response was absent$/],
    ['a patch without patchType', 200, body({ uid: 'u1', allowed: true, patch: 'W10=' }), /^received invalid webhook response: webhook returned response.patch but not response.patchType$/],
    ['a patchType without patch', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch' }), /^received invalid webhook response: webhook returned response.patchType but not response.patch$/],
    ['a patchType other than JSONPatch', 200, body({ uid: 'u1', allowed: true, patchType: 'MergePatch', patch: Buffer.from('[{"op":"add","path":"/a","value":1}]').toString('base64') }), /^unsupported patch type "MergePatch"$/],
    ['an unknown kind for v1', 200, body({ uid: 'u1', allowed: true }, { kind: 'Review' }), /^failed to call webhook: no kind "Review" is registered for version "admission.k8s.io\/v1"/],
    ['a missing kind for v1', 200, Buffer.from('{"apiVersion":"admission.k8s.io/v1","response":{"uid":"u1","allowed":true}}'), /^received invalid webhook response: expected webhook response of admission.k8s.io\/v1, Kind=AdmissionReview, got admission.k8s.io\/v1, Kind=$/],
    ['a missing uid for v1', 200, body({ allowed: true }), /^received invalid webhook response: expected response.uid="u1", got ""$/],
    ['a status outside 200-206', 207, body({ uid: 'u1', allowed: true }), /status code 207/],
    ['unpadded base64', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: 'W10' }), /^failed to call webhook: illegal base64 data at input byte 0$/],
    ['a character outside base64', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: 'W1*=' }), /^failed to call webhook: illegal base64 data at input byte 2$/],
    ['a patch that is not a JSON array', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: Buffer.from('{}').toString('base64') }), /^received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch$/],
    ['a patch that is not JSON', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: Buffer.from('nope').toString('base64') }), /^received undecodable patch in webhook response: invalid character 'o' in literal null \(expecting 'u'\)$/],
    ['a patch with an operation that is not an object', 200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: Buffer.from('[1]').toString('base64') }), /^received undecodable patch in webhook response: json: cannot unmarshal number into Go value of type jsonpatch.Operation$/],
  ];
  for (const [name, status, payload, message] of cases) {
    it(`fails the call on ${name}`, () => {
      const outcome = decodeAnswer(status, payload, review, 'w.example.io');
      assert.equal(outcome.kind, 'failed');
      assert.match((outcome as { message: string }).message, message);
    });
  }
  it('treats a missing allowed as a denial with a code of at least 400', () => {
    const outcome = decodeAnswer(200, body({ uid: 'u1', status: { code: 200, message: 'm' } }), review, 'w.example.io');
    assert.deepEqual(outcome, { kind: 'denied', code: 400, reason: '', message: 'admission webhook "w.example.io" denied the request: m', warnings: [], auditAnnotations: {} });
    const bare = decodeAnswer(200, body({ uid: 'u1', allowed: false, status: { code: 409 } }), review, 'w.example.io');
    assert.deepEqual(bare, { kind: 'denied', code: 409, reason: '', message: 'admission webhook "w.example.io" denied the request without explanation', warnings: [], auditAnnotations: {} });
    const byReason = decodeAnswer(200, body({ uid: 'u1', allowed: false, status: { code: 600, reason: 'Forbidden' } }), review, 'w.example.io');
    assert.deepEqual(byReason, { kind: 'denied', code: 600, reason: 'Forbidden', message: 'admission webhook "w.example.io" denied the request: Forbidden', warnings: [], auditAnnotations: {} });
  });

  it('accepts an empty patch without patchType, base64 with line breaks, and v1beta1 answers without uid or apiVersion checks', () => {
    assert.equal(decodeAnswer(200, body({ uid: 'u1', allowed: true, patch: '' }), review, 'w.example.io').kind, 'allowed');
    // Go's base64 decoder skips CR and LF.
    assert.deepEqual(decodeAnswer(200, body({ uid: 'u1', allowed: true, patchType: 'JSONPatch', patch: 'W3si\nb3AiOiJ0ZXN0IiwicGF0aCI6Ii9hIiwidmFsdWUiOjF9XQ==' }), review, 'w.example.io'), { kind: 'patched', ops: [{ op: 'test', path: '/a', value: 1 }], warnings: [], auditAnnotations: {} });
    // An empty JSON array or null is no change, whatever the patchType says.
    for (const patch of ['[]', 'null']) assert.equal(decodeAnswer(200, body({ uid: 'u1', allowed: true, patchType: 'Foo', patch: Buffer.from(patch).toString('base64') }), review, 'w.example.io').kind, 'allowed');
    const v1beta1 = { apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'u1' } };
    assert.equal(decodeAnswer(200, Buffer.from('{"response":{"allowed":true}}'), v1beta1, 'w.example.io').kind, 'allowed');
  });

  it('keeps the warnings of an answer whose patch is undecodable (they are recorded first)', () => {
    const outcome = decodeAnswer(200, body({ uid: 'u1', allowed: true, warnings: ['w'], patchType: 'JSONPatch', patch: Buffer.from('{}').toString('base64') }), review, 'w.example.io');
    assert.equal(outcome.kind, 'failed');
    assert.deepEqual(outcome.warnings, ['w']);
  });
});

describe('the emulator applies patches like json-patch v4', () => {
  const doc = { a: { b: [1, 2] }, 'x/y': { 'p~q': 1 } };
  it('decodes ~1 and ~0, appends with -, and refuses indexes past the end and add ""', () => {
    assert.deepEqual(applyJsonPatchV4(doc, [{ op: 'replace', path: '/x~1y/p~0q', value: 2 }, { op: 'add', path: '/a/b/-', value: 3 }, { op: 'add', path: '/a/b/0', value: 0 }]), { a: { b: [0, 1, 2, 3] }, 'x/y': { 'p~q': 2 } });
    assert.throws(() => applyJsonPatchV4(doc, [{ op: 'add', path: '/a/b/3', value: 9 }]), PatchError);
    assert.throws(() => applyJsonPatchV4(doc, [{ op: 'add', path: '', value: {} }]), PatchError);
    assert.throws(() => applyJsonPatchV4(doc, [{ op: 'remove', path: '/a/c' }]), PatchError);
  });
});

describe('the emulator validates configurations and pods', () => {
  it('lists configuration problems the apiserver reports', () => {
    const config = injectorConfiguration('', { sideEffects: 'Some', admissionReviewVersions: ['v2'], timeoutSeconds: 31, name: 'short' });
    config.webhooks[0].clientConfig.service.path = 'inject';
    const problems = validateWebhookConfiguration(config).join('\n');
    for (const re of [/sideEffects/, /admissionReviewVersions/, /timeoutSeconds/, /three segments/, /path: must start with a '\/'/]) assert.match(problems, re);
  });

  it('finds mounts of missing volumes and empty containers', () => {
    const problems = validatePod({ metadata: { name: 'p' }, spec: { containers: [], initContainers: [{ name: 'i', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/v' }] }] } }).join('\n');
    assert.match(problems, /^spec.containers: Required value$/m);
    assert.match(problems, /^spec.initContainers\[0\].volumeMounts\[0\].name: Not found: "v"$/m);
  });
});

