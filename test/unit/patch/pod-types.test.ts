/**
 * The patch verifier reads Kubernetes' types from the one generated description the project has
 * (src/injection/k8s-types.ts, written by `npm run peers:types` from the Go modules the Istio peer
 * is built with). These tests keep that file in step with the peer's go.mod (a version bump
 * without regenerating fails here, without Go) and check the translation into go-types codes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { K8S_API_VERSION, STRUCTS } from '../../../src/injection/k8s-types.js';
import { podTypeProblem, podTypes } from '../../../src/patch/go-types.js';
import { POD_TYPES } from '../../../src/patch/pod-types.js';

const GO_MOD = readFileSync(new URL('../../../bench/peers/istio/go.mod', import.meta.url), 'utf8');
const required = (module: string) => new RegExp(`^\\s*${module.replaceAll('.', '\\.')}\\s+(\\S+)`, 'm').exec(GO_MOD)?.[1];

describe('the generated type descriptions match the peer they are generated from', () => {
  it("k8s-types.ts is of the k8s.io/api version and the Istio version the peer's go.mod pins", () => {
    assert.equal(K8S_API_VERSION, required('k8s.io/api'));
    const header = readFileSync(new URL('../../../src/injection/k8s-types.ts', import.meta.url), 'utf8').slice(0, 400);
    assert.ok(header.includes(`Istio's injector ${required('istio.io/istio')} `), 'regenerate with npm run peers:types');
  });

  it("proxy-config-types.ts is of the istio.io/api version the peer's go.mod pins", () => {
    const header = readFileSync(new URL('../../../src/injection/proxy-config-types.ts', import.meta.url), 'utf8').slice(0, 400);
    assert.ok(header.includes(`istio.io/api ${required('istio.io/api')} `), 'regenerate with npm run peers:types');
    assert.ok(header.includes(`Istio's injector ${required('istio.io/istio')} `), 'regenerate with npm run peers:types');
  });
});

describe("the verifier's field types, translated from Kubernetes' Go types", () => {
  it('every struct k8s-types.ts describes, embedded structs lending their fields', () => {
    assert.deepEqual(Object.keys(POD_TYPES).sort(), Object.keys(STRUCTS).sort());
    // Volume embeds VolumeSource, Probe embeds ProbeHandler: their fields are the struct's own.
    assert.equal(POD_TYPES.Volume!.emptyDir, 'EmptyDirVolumeSource');
    assert.equal(POD_TYPES.Volume!.name, 'string');
    assert.equal(POD_TYPES.Probe!.httpGet, 'HTTPGetAction');
    assert.equal(POD_TYPES.Pod!.kind, 'string');
  });

  it('pointers read as what they point to; Quantity, IntOrString, Time and free-form JSON by their own codes', () => {
    assert.equal(POD_TYPES.SecurityContext!.runAsUser, 'int64');
    assert.equal(POD_TYPES.ResourceRequirements!.limits, 'map[]quantity');
    assert.equal(POD_TYPES.EmptyDirVolumeSource!.sizeLimit, 'quantity');
    assert.equal(POD_TYPES.HTTPGetAction!.port, 'intOrString');
    assert.equal(POD_TYPES.ObjectMeta!.creationTimestamp, 'time');
    assert.equal(POD_TYPES.ObjectMeta!.labels, 'map[]string');
    assert.equal(POD_TYPES.ManagedFieldsEntry!.fieldsV1, 'any');
  });

  it('checks what the Go types check', () => {
    assert.equal(podTypes.problem({ name: 'v', emptyDir: { sizeLimit: 'lots' } }, 'Volume'), 'emptyDir.sizeLimit: expected a quantity such as 100m or 1Gi, got "lots"');
    assert.equal(podTypes.problem({ name: 'v', secret: { secretName: 5 } }, 'Volume'), 'secret.secretName: expected a string, got 5');
    assert.equal(podTypes.problem({ mountPath: '/m', readOnly: 'yes' }, 'VolumeMount'), 'readOnly: expected true or false, got "yes"');
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', livenessProbe: { httpGet: { port: 'http' }, periodSeconds: 2 ** 31 } }] } };
    assert.equal(podTypeProblem(pod), 'spec.containers[0].livenessProbe.periodSeconds: expected a 32-bit integer, got 2147483648');
  });
});
