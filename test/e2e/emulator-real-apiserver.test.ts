/**
 * What a real kube-apiserver (v1.37) does where the emulator used to differ, pinned here so the
 * emulator keeps doing it without Go. Each fact was observed on the real apiserver; the cluster
 * suite (test/cluster/emulator-parity*.test.ts) compares the two directly.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { generateCa, generateClientCert, generateServingCert, type KeyPair } from '../../src/certs/generate.js';
import { ApiError, FakeApiServer, podQosClass } from './emulator/apiserver.js';
import { startFakeWebhook, type WireRequest } from './emulator/harness.js';
import { applyJsonPatchV4 } from './emulator/json-patch-v4.js';
import { createdFields, managerName } from './emulator/managed-fields.js';
import { decodePod } from './emulator/pod-decode.js';
import { defaultPod } from './emulator/pod-defaults.js';
import { canonicalQuantity, resourceListQuantity } from './emulator/quantity.js';
import { serviceAccountUser, x509User } from './emulator/users.js';
import { WarningRecorder } from './emulator/warnings.js';

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
const web = { name: 'web', image: 'nginx:1.27' };

describe('JSON patch as evanphx/json-patch v4.13 applies it', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'web' }] } };
  it('differs from RFC 6902 where the library does', () => {
    assert.deepEqual(applyJsonPatchV4(doc, [{ op: 'replace', path: '/metadata/labels/b', value: '2' }]).metadata.labels, { a: '1', b: '2' }, 'replace of a missing key adds it');
    assert.deepEqual(applyJsonPatchV4(doc, [{ op: 'add', path: '/metadata/labels/b' }]).metadata.labels, { a: '1', b: null }, 'a missing value is null');
    assert.deepEqual(applyJsonPatchV4(doc, [{ op: 'add', path: '/spec/containers/-1', value: { name: 'x' } }]).spec.containers, [{ name: 'web' }, { name: 'x' }], 'a negative index counts from the end (of the longer list)');
    assert.deepEqual(applyJsonPatchV4(doc, [{ op: 'add', path: 'anything/x', value: 1 }]).x, 1, 'the first segment is never read');
    const moved = applyJsonPatchV4(doc, [
      { op: 'test', path: '/metadata/labels/a', value: '1' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/c', path: '/metadata/labels/d' },
    ]);
    assert.deepEqual(moved.metadata.labels, { a: '1', d: '1' });
  });

  it('fails with the library\'s messages', () => {
    const cases: Array<[unknown, string]> = [
      [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }, 'add operation does not apply: doc is missing path: "/metadata/annotations/x": missing value'],
      [{ op: 'add', path: '', value: {} }, 'add operation does not apply: doc is missing path: "": missing value'],
      [{ op: 'add', value: 'x' }, 'add operation failed to decode path: missing value'],
      [{ op: 'add', path: '/spec/containers/5', value: {} }, "error in add for path: '/spec/containers/5': Unable to access invalid index: 5: invalid index referenced"],
      [{ op: 'add', path: '/spec/containers/x', value: {} }, 'error in add for path: \'/spec/containers/x\': value was not a proper array index: \'x\': strconv.Atoi: parsing "x": invalid syntax'],
      [{ op: 'remove', path: '/metadata/labels/nope' }, "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value"],
      [{ op: 'remove', path: '/spec/containers/5' }, "error in remove for path: '/spec/containers/5': Unable to access invalid index: 5: invalid index referenced"],
      [{ op: 'replace', path: '/metadata/annotations/x', value: 'x' }, 'replace operation does not apply: doc is missing path: /metadata/annotations/x: missing value'],
      [{ op: 'test', path: '/metadata/labels/a', value: '2' }, 'testing value /metadata/labels/a failed: test failed'],
      [{ op: 'frob', path: '/a' }, 'Unexpected kind: frob'],
      [{ path: '/a' }, 'Unexpected kind: unknown'],
    ];
    for (const [op, message] of cases) assert.throws(() => applyJsonPatchV4(doc, [op]), { message }, JSON.stringify(op));
  });
});

describe('quantities and defaulting as the apiserver stores them', () => {
  it('writes quantities canonical, and rounds container resource lists up to milli units', () => {
    const canonical: Array<[string | number, string]> = [[0.5, '500m'], ['1000m', '1'], ['2048Mi', '2Gi'], ['1.5Gi', '1536Mi'], ['0.5Ki', '512'], ['1e3', '1e3'], ['1000k', '1M'], ['0.1m', '100u'], [1, '1']];
    for (const [input, output] of canonical) assert.equal(canonicalQuantity(input), output, String(input));
    assert.equal(resourceListQuantity('0.1m'), '1m');
    assert.equal(resourceListQuantity('1n'), '1m');
  });

  it('defaults what SetDefaults_Pod and SetDefaults_PodSpec default', () => {
    const out = defaultPod(decodePod(pod({
      serviceAccount: 'builder',
      terminationGracePeriodSeconds: -5,
      hostNetwork: true,
      initContainers: [{ ...web, name: 'init', ports: [{ containerPort: 9000 }], resources: { limits: { cpu: 0.5 } } }],
      containers: [{ ...web, ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } }, readinessProbe: { httpGet: { port: 80 } } }],
      ephemeralContainers: [{ ...web, name: 'debug', resources: { limits: { cpu: '1' } } }],
      volumes: [{ name: 'blank' }],
    })));
    assert.equal(out.spec.serviceAccountName, 'builder', 'the deprecated alias fills serviceAccountName');
    assert.equal(out.spec.terminationGracePeriodSeconds, 1, 'a negative grace period becomes 1');
    assert.deepEqual(out.spec.initContainers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '500m' } }, 'requests default to limits');
    assert.deepEqual(out.spec.containers[0].resources.requests, { cpu: '100m', memory: '1Gi' });
    assert.deepEqual(out.spec.ephemeralContainers[0].resources, { limits: { cpu: '1' } }, 'not for ephemeral containers');
    assert.equal(out.spec.initContainers[0].ports[0].hostPort, 9000, 'hostNetwork: init containers get host ports too');
    assert.deepEqual(out.spec.containers[0].readinessProbe.httpGet, { port: 80, path: '/', scheme: 'HTTP' });
    assert.deepEqual(out.spec.volumes[0], { name: 'blank', emptyDir: {} });
  });

  it('computes the QoS class the registry stores', () => {
    const limits = { cpu: '1', memory: '1Gi' };
    assert.equal(podQosClass(pod({ containers: [web] })), 'BestEffort');
    assert.equal(podQosClass(pod({ containers: [{ ...web, resources: { limits, requests: limits } }] })), 'Guaranteed');
    assert.equal(podQosClass(pod({ containers: [{ ...web, resources: { limits, requests: limits } }, web] })), 'Burstable');
    assert.equal(podQosClass(pod({ containers: [{ ...web, resources: { requests: { cpu: '1' } } }] })), 'Burstable');
  });
});

describe('managedFields as the field manager records a creation', () => {
  it('owns what the request set and defaulting added, in FieldsV1, with atomic lists, maps and references as leaves', () => {
    const created = defaultPod(decodePod(pod({
      nodeSelector: { zone: 'a' },
      imagePullSecrets: [{ name: 'regcred' }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
      containers: [{ ...web, args: ['-x'], ports: [{ containerPort: 80 }], env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }],
    }, { generateName: 'p-', labels: { app: 'a' }, finalizers: ['f'], ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u1' }] })));
    assert.deepEqual(createdFields(created), {
      'f:metadata': {
        'f:generateName': {},
        'f:labels': { '.': {}, 'f:app': {} },
        'f:finalizers': { '.': {}, 'v:"f"': {} },
        'f:ownerReferences': { '.': {}, 'k:{"uid":"u1"}': {} },
      },
      'f:spec': {
        'f:nodeSelector': {},
        'f:imagePullSecrets': { '.': {}, 'k:{"name":"regcred"}': {} },
        'f:tolerations': {},
        'f:enableServiceLinks': {},
        'f:dnsPolicy': {},
        'f:restartPolicy': {},
        'f:securityContext': {},
        'f:terminationGracePeriodSeconds': {},
        'f:schedulerName': {},
        'f:containers': {
          'k:{"name":"web"}': {
            '.': {},
            'f:name': {},
            'f:image': {},
            'f:args': {},
            'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
            'f:env': { '.': {}, 'k:{"name":"NODE"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { '.': {}, 'f:fieldRef': {} } } },
            'f:terminationMessagePath': {},
            'f:terminationMessagePolicy': {},
            'f:imagePullPolicy': {},
            'f:resources': {},
          },
        },
      },
    });
  });

  it('names the manager by fieldManager, else by the User-Agent up to its first slash, else unknown', () => {
    assert.equal(managerName('kubectl-create', 'kubectl/v1.37.2'), 'kubectl-create');
    assert.equal(managerName(undefined, 'kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:replicaset-controller'), 'kube-controller-manager');
    assert.equal(managerName(undefined, undefined), 'unknown');
  });
});

describe('users, warnings and the registry', () => {
  let ca: KeyPair;
  before(async () => {
    ca = await generateCa();
  });

  it('gives x509 users their certificate digest and service accounts a uid and a token id', async () => {
    const client = await generateClientCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'] });
    const digest = createHash('sha256').update(new X509Certificate(client.cert).raw).digest('hex');
    assert.deepEqual(x509User(client.cert), { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${digest}`] } });
    const sa = serviceAccountUser('kube-system', 'replicaset-controller', { uid: 'u', jti: 'j' });
    assert.deepEqual(sa, { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': ['JTI=j'] } });
  });

  it('passes each warning once, drops empty ones, and truncates them all past 4096 characters', () => {
    const recorder = new WarningRecorder();
    for (const w of ['first', 'second "quoted"', 'first', '']) recorder.add(w);
    assert.deepEqual(recorder.list(), ['first', 'second "quoted"']);
    const long = new WarningRecorder();
    for (let i = 0; i < 20; i++) long.add(`${i} ${'x'.repeat(300)}`);
    const list = long.list();
    assert.ok(list.every((w) => w.length === 256), 'every warning cut to 256 characters once over the limit');
    assert.ok(list.reduce((n, w) => n + w.length, 0) <= 4096 + 256);
  });

  describe('a creation', () => {
    let leaf: KeyPair;
    before(async () => {
      leaf = await generateServingCert(ca, { sans: ['hook.tools.svc'] });
    });

    async function create(input: any, setup: (api: FakeApiServer) => void = () => {}, answer: (review: any) => unknown = () => undefined, dryRun = false) {
      let wire: WireRequest | undefined;
      const hook = await startFakeWebhook(leaf, (review, w) => {
        wire = w;
        const ops = answer(review);
        const patch = ops === undefined ? {} : { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
        return { body: { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...patch } } };
      });
      try {
        const api = new FakeApiServer();
        api.createNamespace('shop');
        api.registerService('hook', 'tools', hook.port);
        api.applyConfiguration({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: { name: 'hook' },
          webhooks: [{ name: 'hook.tools.io', clientConfig: { service: { name: 'hook', namespace: 'tools', path: '/' }, caBundle: Buffer.from(ca.cert).toString('base64') }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }],
        });
        setup(api);
        const result = await api.createPod('shop', input, { dryRun });
        return { ...result, wire: wire! };
      } finally {
        await hook.close();
      }
    }

    it('sends the object with its keys in Go order (struct fields as declared, map keys sorted)', async () => {
      const { wire } = await create(pod({ containers: [{ ...web, ports: [{ containerPort: 80 }] }] }, { name: 'p', labels: { z: '1', a: '2' } }));
      const object = JSON.parse(wire.rawBody).request.object;
      assert.deepEqual(Object.keys(object), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
      assert.deepEqual(Object.keys(object.metadata), ['name', 'namespace', 'labels', 'managedFields']);
      assert.deepEqual(Object.keys(object.metadata.labels), ['a', 'z']);
      assert.deepEqual(Object.keys(object.spec).slice(0, 4), ['volumes', 'containers', 'restartPolicy', 'terminationGracePeriodSeconds']);
      assert.deepEqual(Object.keys(object.spec.containers[0]), ['name', 'image', 'ports', 'resources', 'volumeMounts', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy']);
    });

    it('keeps the status the request carries in the review, and stores Pending with the QoS class', async () => {
      const { wire, stored } = await create({ ...pod({ containers: [web] }), status: { phase: 'Running' } });
      assert.deepEqual(JSON.parse(wire.rawBody).request.object.status, { phase: 'Running' });
      assert.deepEqual(stored.status, { phase: 'Pending', qosClass: 'BestEffort' });
      assert.equal(stored.metadata.generation, 1);
      assert.match(stored.metadata.resourceVersion, /^\d+$/);
    });

    it('generates the name before validation, which names the pod and each field', async () => {
      await assert.rejects(
        create(pod({ containers: [web] }, { generateName: 'p-' }), undefined, () => [{ op: 'add', path: '/spec/containers/-', value: { ...web, ports: [{ containerPort: 70000 }] } }]),
        (err: unknown) =>
          err instanceof ApiError && err.code === 422 && err.reason === 'Invalid' &&
          /^Pod "p-[a-z0-9]{5}" is invalid: \[spec.containers\[1\].ports\[0\].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.containers\[1\].name: Duplicate value: "web"\]$/.test(err.message),
      );
      const { stored } = await create(pod({ containers: [web] }, { generateName: 'p-' }), undefined, undefined, true);
      assert.match(stored.metadata.name, /^p-[a-z0-9]{5}$/, 'a dry run generates the name too');
      assert.equal(stored.metadata.resourceVersion, undefined, 'but stores nothing');
    });

    it('refuses a pod naming a service account that does not exist, and applies the account\'s settings', async () => {
      await assert.rejects(
        create(pod({ serviceAccountName: 'ghost', containers: [web] }, { generateName: 'p-' })),
        (err: unknown) => err instanceof ApiError && err.code === 403 && err.reason === 'Forbidden' && err.message === 'pods "p-" is forbidden: error looking up service account shop/ghost: serviceaccount "ghost" not found',
      );
      const { wire } = await create(pod({ serviceAccountName: 'builder', containers: [web] }), (api) => api.createServiceAccount('shop', 'builder', { automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] }));
      const spec = JSON.parse(wire.rawBody).request.object.spec;
      assert.equal(spec.volumes, undefined, "the account's automountServiceAccountToken: false");
      assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }], "the account's image pull secrets");
    });

    it('passes warnings on with a denial', async () => {
      const hook = await startFakeWebhook(leaf, (review) => ({ body: { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: false, status: { code: 403, message: 'no' }, warnings: ['why'] } } }));
      try {
        const api = new FakeApiServer();
        api.createNamespace('shop');
        api.registerService('hook', 'tools', hook.port);
        api.applyConfiguration({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'hook' }, webhooks: [{ name: 'hook.tools.io', clientConfig: { service: { name: 'hook', namespace: 'tools' }, caBundle: Buffer.from(ca.cert).toString('base64') }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }] });
        await assert.rejects(api.createPod('shop', pod({ containers: [web] })), (err: unknown) => err instanceof ApiError && err.code === 403 && err.reason === '' && err.message === 'admission webhook "hook.tools.io" denied the request: no' && err.warnings.join() === 'why');
      } finally {
        await hook.close();
      }
    });
  });
});
