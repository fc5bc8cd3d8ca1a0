import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { defaultConfig } from '../../../src/config/index.js';
import { injectYaml } from '../../../src/kube-inject/inject-documents.js';

const manifests = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        resources:
          limits: {cpu: 2000m}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: {sidecar.istio.io/inject: "false"}
        spec:
          restartPolicy: Never
          containers:
          - name: job
            image: busybox
`;

describe('kube-inject', () => {
  const docs = parseAllDocuments(injectYaml(manifests, defaultConfig(), { nativeSidecars: false })).map((d) => d.toJS());

  it('passes other kinds through unchanged', () => {
    assert.deepEqual(docs[0], { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  });

  it("injects a Deployment's pod template, owner and namespace from the Deployment", () => {
    const spec = docs[1].spec.template.spec;
    assert.deepEqual(spec.containers.map((c: any) => c.name), ['web', 'istio-proxy']);
    const owner = spec.containers[1].env.find((e: any) => e.name === 'ISTIO_META_OWNER').value;
    assert.equal(owner, 'kubernetes://apis/apps/v1/namespaces/shop/deployments/web');
    assert.deepEqual(docs[1].spec.strategy, {});
    assert.deepEqual(docs[1].status, {});
  });

  it('writes user quantities in canonical form, as Kubernetes serialises them', () => {
    assert.deepEqual(docs[1].spec.template.spec.containers[0].resources, { limits: { cpu: '2' } });
  });

  it('leaves an opted-out CronJob without a sidecar', () => {
    const spec = docs[2].spec.jobTemplate.spec.template.spec;
    assert.deepEqual(spec.containers.map((c: any) => c.name), ['job']);
    assert.equal(spec.initContainers, undefined);
  });

  it('refuses a document that is not an object, naming it', () => {
    assert.throws(() => injectYaml('- a\n- b\n', defaultConfig()), /document 1 is not a Kubernetes object/);
  });
});

describe('kube-inject keeps keys named like Object.prototype properties', () => {
  it('in labels, annotations, nodeSelector and resources', () => {
    // (Values go-yaml reads as strings: it reads a plain `y` as true, as istioctl does.)
    const input = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    __proto__: x\n    constructor: c\n  annotations:\n    prototype: z\nspec:\n  nodeSelector:\n    __proto__: n\n  containers:\n  - name: app\n    image: nginx\n    resources:\n      limits:\n        constructor: "1"\n';
    const pod = parseAllDocuments(injectYaml(input, defaultConfig()))[0]!.toJS();
    assert.deepEqual([pod.metadata.labels.__proto__, pod.metadata.labels.constructor, pod.metadata.annotations.prototype], ['x', 'c', 'z']);
    assert.ok(Object.hasOwn(pod.metadata.labels, '__proto__') && Object.hasOwn(pod.spec.nodeSelector, '__proto__'));
    assert.equal(pod.spec.containers[0].resources.limits.constructor, '1');
    assert.ok(pod.spec.containers.some((c: any) => c.name === 'istio-proxy'));
  });
});
