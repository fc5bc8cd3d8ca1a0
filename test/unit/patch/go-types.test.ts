import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Engine } from '../../../src/admission/review.js';
import { defaultConfig } from '../../../src/config/index.js';
import { InjectorError } from '../../../src/errors.js';
import { render } from '../../../src/injection/index.js';
import { GoTypes, podTypeProblem } from '../../../src/patch/go-types.js';
import { applyPatch, cloneJson, diffPatch, type PatchOperation, verifyPatch } from '../../../src/patch/index.js';
import { buildApp } from '../../../src/server/app.js';
import { reviewFixture } from '../../support/fixtures.js';

const plain = () => reviewFixture('pod-plain').request.object;

function refused(ops: PatchOperation[], message: RegExp, original: unknown = plain()): void {
  const expected = applyPatch(original, ops);
  assert.throws(() => verifyPatch(original, ops, expected), (err: unknown) => err instanceof InjectorError && err.code === 'PATCH_VERIFICATION_FAILED' && message.test(err.message));
}

describe('verification refuses a patch that writes a value the apiserver cannot decode', () => {
  it('a label or an annotation that is not a string', () => {
    refused([{ op: 'add', path: '/metadata/labels/version', value: 2 }], /at \/metadata\/labels\/version: expected a string, got 2$/);
    refused([{ op: 'add', path: '/metadata/annotations', value: { 'prometheus.io/path': 5 } }], /at \/metadata\/annotations: \["prometheus\.io\/path"\]: expected a string, got 5$/);
    refused([{ op: 'add', path: '/metadata/annotations', value: { a: null } }], /\.?a: expected a string, got null$/);
  });

  it('a container, volume or variable of the wrong shape, and null where a value goes', () => {
    refused([{ op: 'add', path: '/spec/containers/1', value: { name: 'x', ports: [{ containerPort: '80' }] } }], /at \/spec\/containers\/1: ports\[0\]\.containerPort: expected a 32-bit integer, got "80"$/);
    refused([{ op: 'add', path: '/spec/containers/0/env', value: [{ name: 'A', value: 1 }] }], /at \/spec\/containers\/0\/env: \[0\]\.value: expected a string, got 1$/);
    refused([{ op: 'add', path: '/spec/volumes/1', value: { name: 'v', emptyDir: { sizeLimit: 'lots' } } }], /emptyDir\.sizeLimit: expected a quantity such as 100m or 1Gi, got "lots"$/);
    refused([{ op: 'add', path: '/spec/containers/1', value: null }], /at \/spec\/containers\/1: expected an object \(Container\), got null$/);
  });

  it('accepts what decodes: numbers as quantities, integers as ports, unknown fields (dropped), our own output', () => {
    const pod = plain();
    const ok: PatchOperation[] = [
      { op: 'add', path: '/spec/containers/1', value: { name: 'x', resources: { limits: { cpu: 2 } }, ports: [{ containerPort: 80 }], whatever: { a: [1, null] } } },
      { op: 'add', path: '/spec/unknownField', value: 5 },
    ];
    verifyPatch(pod, ok, applyPatch(pod, ok));
    const rendered = render({ pod, namespace: 'demo' }, defaultConfig());
    verifyPatch(pod, diffPatch(pod, rendered), rendered);
  });
});

describe('type problems of a pod, named as a path', () => {
  it('finds the first value of the wrong type, and none in a well-typed pod', () => {
    assert.equal(podTypeProblem(plain()), undefined);
    const pod = plain();
    pod.spec.containers[0].securityContext = { runAsUser: '1000' };
    assert.equal(podTypeProblem(pod), 'spec.containers[0].securityContext.runAsUser: expected an integer, got "1000"');
    const labelled = plain();
    labelled.metadata.labels = JSON.parse('{"__proto__":7}');
    assert.equal(podTypeProblem(labelled), 'metadata.labels.__proto__: expected a string, got 7');
  });

  it("matches field names as the apiserver's decoder does (exactly), or as Go's encoding/json does when asked", () => {
    const exact = new GoTypes({ S: { name: 'string' } });
    const folded = new GoTypes({ S: { name: 'string' } }, true);
    assert.equal(exact.problem({ Name: 5 }, 'S'), undefined, 'an unknown field is dropped');
    assert.equal(folded.problem({ Name: 5 }, 'S'), 'Name: expected a string, got 5');
    assert.equal(folded.problem({ name: null }, 'S'), undefined, 'null leaves a field at its zero value');
    assert.equal(folded.problem([], 'S'), 'expected an object (S), got a list');
  });
});

describe('a patch that fails type verification', () => {
  const writesANumber: Engine = {
    decide: () => ({ inject: true, reason: 'policy-enabled' }),
    render: (req) => {
      const pod = cloneJson(req.pod);
      pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, 'sidecar.istio.io/status': 5 as unknown as string } };
      return pod;
    },
  };

  it('is our fault when the pod is well typed: admitted without a sidecar, with a warning (or denied with 500)', async () => {
    const app = buildApp({ getConfig: defaultConfig, logger: pino({ level: 'silent' }), engine: writesANumber });
    const res = await app.inject({ method: 'POST', url: '/inject', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(reviewFixture('pod-plain')) });
    const response = res.json().response;
    assert.equal(response.allowed, true);
    assert.equal(response.patch, undefined);
    assert.match(response.warnings[0], /injection failed: patch writes a value the apiserver cannot decode at \/metadata\/annotations: \["sidecar\.istio\.io\/status"\]: expected a string, got 5$/);
  });
});
