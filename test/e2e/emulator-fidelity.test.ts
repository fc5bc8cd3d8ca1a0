/**
 * The emulator's own fidelity, against fake webhooks of our making: the request on the wire, the
 * matching rules, reinvocation, lenient decode, the in-tree plugins, retries and TLS checks.
 * Each test would fail if the emulator let the fault it describes through.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { before, describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { generateCa, generateServingCert, type KeyPair } from '../../src/certs/generate.js';
import { ApiError, FakeApiServer, type CreateResult } from './emulator/apiserver.js';
import { signatureAlgorithmOid, verifyServerCertificate } from './emulator/call.js';
import { appPod, injectorConfiguration, startFakeWebhook, type WireRequest } from './emulator/harness.js';
import { decodePod, DecodeError } from './emulator/pod-decode.js';
import { imageTag } from './emulator/pod-defaults.js';
import { ruleMatches, POD_CREATE } from './emulator/selectors.js';
import { validateWebhookConfiguration } from './emulator/webhook-configuration.js';

const SVC = 'sidecar-injector.istio-system.svc';
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

type Handler = (review: any, wire: WireRequest) => { status?: number; body: unknown; headers?: Record<string, string> };

function allow(review: any, response: Record<string, unknown> = {}) {
  return { body: { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...response } } };
}

function patchWith(review: any, ops: unknown[]) {
  return allow(review, ops.length === 0 ? {} : { patchType: 'JSONPatch', patch: b64(ops) });
}

/** A configuration for a fake webhook `<name>.tools.svc`. */
function toolConfiguration(configName: string, name: string, caBundle: string, overrides: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: configName },
    webhooks: [
      {
        name: `${name}.tools.example.com`,
        clientConfig: { service: { name, namespace: 'tools', path: '/mutate' }, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        ...overrides,
      },
    ],
  };
}

describe('the emulator reproduces the apiserver', () => {
  let ca: KeyPair;
  let caBundle: string;
  const leaves = new Map<string, KeyPair>();
  before(async () => {
    ca = await generateCa();
    caBundle = Buffer.from(ca.cert).toString('base64');
    for (const name of ['first', 'second', 'third']) leaves.set(name, await generateServingCert(ca, { sans: [`${name}.tools.svc`] }));
  });

  /** Runs one pod creation through fake webhooks `<name>.tools.svc`, each in its own configuration. */
  async function chain(hooks: Array<{ name: string; config?: string; overrides?: Record<string, unknown>; handler: Handler }>, pod = appPod(), namespace = 'shop'): Promise<CreateResult> {
    const servers = await Promise.all(hooks.map((h) => startFakeWebhook(leaves.get(h.name)!, h.handler)));
    try {
      const api = new FakeApiServer();
      api.createNamespace(namespace, { team: 'a' });
      hooks.forEach((h, i) => {
        api.registerService(h.name, 'tools', servers[i]!.port);
        api.applyConfiguration(toolConfiguration(h.config ?? h.name, h.name, caBundle, h.overrides));
      });
      return await api.createPod(namespace, pod);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  }

  it('sends the request on the wire as the apiserver does', async () => {
    let wire: WireRequest | undefined;
    const pod = appPod();
    delete pod.metadata.name;
    pod.metadata.generateName = 'web-';
    await chain([{ name: 'first', overrides: { clientConfig: { service: { name: 'first', namespace: 'tools', path: '/mutate/pods', port: 8443 }, caBundle }, timeoutSeconds: 7 }, handler: (r, w) => ((wire = w), allow(r)) }], pod);
    assert.ok(wire);
    assert.equal(wire.method, 'POST');
    assert.equal(wire.url, '/mutate/pods?timeout=7s');
    assert.equal(wire.headers.host, 'first.tools.svc:8443');
    assert.equal(wire.headers['content-type'], 'application/json');
    assert.equal(wire.headers.accept, 'application/json, */*');
    assert.equal(wire.headers['accept-encoding'], 'gzip');
    assert.equal(wire.headers['user-agent'], 'kube-apiserver-admission');
    assert.equal(wire.headers.authorization, undefined);
    assert.equal(wire.headers.connection, undefined, 'no Connection header: Go keeps the connection open');
    // Go's header order, and a Content-Length body (never chunked).
    assert.deepEqual(wire.rawHeaders.filter((_, i) => i % 2 === 0), ['Host', 'User-Agent', 'Content-Length', 'Accept', 'Content-Type', 'Accept-Encoding']);
    assert.equal(Number(wire.headers['content-length']), Buffer.byteLength(wire.rawBody));
    assert.equal(wire.alpn, 'http/1.1', 'only http/1.1 is offered, even to a server that prefers h2');
    assert.match(String(wire.tlsVersion), /^TLSv1\.[23]$/);
    assert.ok(wire.rawBody.endsWith('}\n') && !wire.rawBody.slice(0, -1).includes('\n'), 'compact JSON with a trailing newline');
    const review = JSON.parse(wire.rawBody);
    assert.deepEqual(Object.keys(review), ['kind', 'apiVersion', 'request']);
    assert.deepEqual(Object.keys(review.request), ['uid', 'kind', 'resource', 'requestKind', 'requestResource', 'namespace', 'operation', 'userInfo', 'object', 'oldObject', 'dryRun', 'options']);
    const object = review.request.object;
    assert.equal(object.metadata.name, undefined);
    assert.equal('creationTimestamp' in object.metadata, false, 'absent from Kubernetes 1.34 on');
    // The field manager's record of the request, made before admission: the user's fields and
    // the defaults, not what the in-tree plugins add.
    assert.equal(object.metadata.managedFields.length, 1);
    const [entry] = object.metadata.managedFields;
    assert.equal(entry.manager, 'unknown', 'no fieldManager and no User-Agent');
    assert.equal(entry.operation, 'Update');
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(entry.fieldsV1['f:metadata'], { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {} } });
    assert.deepEqual(Object.keys(entry.fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:ports']), ['.', 'k:{"containerPort":80,"protocol":"TCP"}']);
    assert.equal(entry.fieldsV1['f:spec']['f:volumes'], undefined, 'the token volume is added by admission, owned by nobody');
    assert.deepEqual(Object.keys(review.request.userInfo.extra), ['authentication.kubernetes.io/credential-id']);
    assert.deepEqual(object.status, {});
    // Defaulted and already changed by the in-tree plugins.
    assert.equal(object.spec.serviceAccountName, 'default');
    assert.equal(object.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(object.spec.containers[0].ports[0].protocol, 'TCP');
    assert.equal(object.spec.containers[0].volumeMounts[0].mountPath, TOKEN_PATH);
    assert.match(object.spec.volumes[0].name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(object.spec.tolerations.map((t: any) => [t.key, t.tolerationSeconds]), [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
    assert.equal(object.spec.priority, 0);
    assert.equal(object.metadata.annotations, undefined, 'empty maps are absent');
  });

  it('gives each call, reinvocations included, a new uid', async () => {
    const uids: string[] = [];
    let n = 0;
    await chain([
      { name: 'first', overrides: { reinvocationPolicy: 'IfNeeded' }, handler: (r) => (uids.push(r.request.uid), allow(r)) },
      { name: 'second', handler: (r) => patchWith(r, n++ === 0 ? [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] : []) },
    ]);
    assert.equal(uids.length, 2);
    assert.notEqual(uids[0], uids[1]);
  });

  it('reinvokes only IfNeeded webhooks invoked before a change, once', async () => {
    const calls: string[] = [];
    const record = (name: string, ops: (r: any) => unknown[]): Handler => (r) => (calls.push(name), patchWith(r, ops(r)));
    const result = await chain([
      // a-never: Never, so never called twice; b-ifneeded: invoked before c's change, so reinvoked.
      { name: 'first', config: 'a-never', handler: record('never', () => []) },
      { name: 'second', config: 'b-ifneeded', overrides: { reinvocationPolicy: 'IfNeeded' }, handler: record('ifneeded', () => []) },
      { name: 'third', config: 'c-changer', handler: record('changer', (r) => (r.request.object.metadata.labels.changed ? [] : [{ op: 'add', path: '/metadata/labels/changed', value: 'yes' }])) },
    ]);
    assert.deepEqual(calls, ['never', 'ifneeded', 'changer', 'ifneeded']);
    assert.equal(result.pod.metadata.labels.changed, 'yes');
  });

  it('records a reinvoked webhook that changes the pod again (a non-idempotent injector is caught)', async () => {
    let n = 0;
    const counter: Handler = (r) => patchWith(r, [{ op: 'add', path: '/metadata/labels/n', value: String(n++) }]);
    // Alone, a label change leaves the in-tree plugins nothing to do: no second call.
    const alone = await chain([{ name: 'first', overrides: { reinvocationPolicy: 'IfNeeded' }, handler: counter }]);
    assert.deepEqual(alone.calls.map((c) => c.round), [0]);
    // A later webhook's change re-arms it, and its second answer changes the pod again.
    const result = await chain([
      { name: 'first', config: 'a', overrides: { reinvocationPolicy: 'IfNeeded' }, handler: counter },
      { name: 'second', config: 'b', handler: (r) => patchWith(r, [{ op: 'add', path: '/metadata/labels/other', value: 'x' }]) },
    ]);
    const second = result.calls.find((c) => c.round === 1);
    assert.ok(second);
    assert.equal(second.outcome.kind, 'patched');
    assert.equal(second.changed, true);
  });

  it('evaluates objectSelector on the labels earlier webhooks patched in', async () => {
    let reached = false;
    const result = await chain([
      { name: 'first', config: 'a-labeler', handler: (r) => patchWith(r, [{ op: 'add', path: '/metadata/labels/sidecar.istio.io~1inject', value: 'false' }]) },
      { name: 'second', config: 'b-injector', overrides: { objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] } }, handler: (r) => ((reached = true), allow(r)) },
    ]);
    assert.equal(reached, false);
    assert.equal(result.pod.metadata.labels['sidecar.istio.io/inject'], 'false');
  });

  it('makes a patch that is not a JSON array a call error: Fail refuses the pod, Ignore admits it unchanged', async () => {
    const handler: Handler = (r) => allow(r, { patchType: 'JSONPatch', patch: b64({ op: 'add' }) });
    await assert.rejects(
      chain([{ name: 'first', handler }]),
      (err: unknown) =>
        err instanceof ApiError && err.code === 500 && err.reason === 'InternalError' &&
        err.message === 'Internal error occurred: failed calling webhook "first.tools.example.com": received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
    const admitted = await chain([{ name: 'first', overrides: { failurePolicy: 'Ignore' }, handler }]);
    assert.deepEqual(admitted.pod.spec.containers.map((c: any) => c.name), ['web']);
  });

  it('refuses a patch under a missing parent even under failurePolicy Ignore', async () => {
    await assert.rejects(
      chain([{ name: 'first', overrides: { failurePolicy: 'Ignore' }, handler: (r) => patchWith(r, [{ op: 'add', path: '/metadata/annotations/a', value: 'b' }]) }]),
      (err: unknown) => err instanceof ApiError && err.code === 500 && /doc is missing path/.test(err.message),
    );
  });

  it('drops unknown fields a patch adds, and refuses wrong types with a 500', async () => {
    const result = await chain([{ name: 'first', handler: (r) => patchWith(r, [{ op: 'add', path: '/spec/containers/0/securityContext', value: { runAsUsr: 1337, privileged: false } }]) }]);
    assert.deepEqual(result.pod.spec.containers[0].securityContext, { privileged: false });
    await assert.rejects(
      chain([{ name: 'first', handler: (r) => patchWith(r, [{ op: 'replace', path: '/spec/containers/0/ports/0/containerPort', value: '80' }]) }]),
      (err: unknown) => err instanceof ApiError && err.code === 500 && /cannot unmarshal string into Go struct field .*containerPort/.test(err.message),
    );
  });

  it('defaults after each patch, so later webhooks see defaulted containers', async () => {
    let seen: any;
    await chain([
      { name: 'first', config: 'a', handler: (r) => patchWith(r, [{ op: 'add', path: '/spec/containers/-', value: { name: 'log', image: 'busybox' } }]) },
      { name: 'second', config: 'b', handler: (r) => ((seen = r.request.object.spec.containers[1]), allow(r)) },
    ]);
    assert.equal(seen.imagePullPolicy, 'Always');
    assert.equal(seen.terminationMessagePolicy, 'File');
  });

  it('retries a 503 with Retry-After, and fails the call on a 503 without it', async () => {
    let n = 0;
    const retried = await chain([{ name: 'first', handler: (r) => (n++ === 0 ? { status: 503, headers: { 'retry-after': '0' }, body: { kind: 'Status', message: 'busy' } } : patchWith(r, [{ op: 'add', path: '/metadata/labels/ok', value: 'y' }])) }]);
    assert.equal(retried.pod.metadata.labels.ok, 'y');
    assert.equal(n, 2);
    // A Status body with status Failure gives its message; any other body, client-go's text.
    await assert.rejects(chain([{ name: 'first', handler: () => ({ status: 503, body: { kind: 'Status', status: 'Failure', message: 'busy' } }) }]), /failed calling webhook "first.tools.example.com": failed to call webhook: busy$/);
    await assert.rejects(chain([{ name: 'first', handler: () => ({ status: 503, body: { kind: 'Status', message: 'busy' } }) }]), /failed calling webhook "first.tools.example.com": failed to call webhook: the server is currently unable to handle the request$/);
  });

  it('fails the call when the service does not resolve', async () => {
    const api = new FakeApiServer();
    api.createNamespace('shop');
    api.applyConfiguration(toolConfiguration('ghost', 'ghost', caBundle));
    await assert.rejects(api.createPod('shop', appPod()), /failed calling webhook "ghost.tools.example.com": failed to call webhook: Post "https:\/\/ghost.tools.svc:443\/mutate\?timeout=10s": service "ghost" not found$/);
  });

  it('does not call a webhook whose namespaceSelector does not match the namespace labels', async () => {
    let reached = false;
    await chain([{ name: 'first', overrides: { namespaceSelector: { matchLabels: { team: 'b' } } }, handler: (r) => ((reached = true), allow(r)) }]);
    assert.equal(reached, false);
    await chain([{ name: 'first', overrides: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }, handler: (r) => ((reached = true), allow(r)) }]);
    assert.equal(reached, true, 'every namespace carries kubernetes.io/metadata.name');
  });
});

describe('the emulator matches rules as the apiserver does', () => {
  const rule = (resources: string[], extra: Record<string, unknown> = {}) => ({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources, ...extra });
  it('matches pods, pods/*, * and */* for a pod, and not pods/status, other operations or cluster scope', () => {
    for (const resources of [['pods'], ['pods/*'], ['*'], ['*/*']]) assert.equal(ruleMatches(rule(resources), POD_CREATE), true, resources[0]);
    assert.equal(ruleMatches(rule(['pods']), { ...POD_CREATE, subresource: 'status' }), false, 'pods matches no subresource');
    assert.equal(ruleMatches(rule(['pods/*']), { ...POD_CREATE, subresource: 'status' }), true, 'pods/* matches every subresource');
    assert.equal(ruleMatches(rule(['pods/status']), POD_CREATE), false);
    assert.equal(ruleMatches(rule(['pods'], { operations: ['UPDATE'] }), POD_CREATE), false);
    assert.equal(ruleMatches(rule(['pods'], { scope: 'Cluster' }), POD_CREATE), false);
    assert.equal(ruleMatches(rule(['pods'], { apiGroups: ['apps'] }), POD_CREATE), false);
    assert.equal(ruleMatches(rule(['pods'], { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], scope: 'Namespaced' }), POD_CREATE), true);
  });
});

describe('the emulator validates configurations as the apiserver does', () => {
  const base = () => injectorConfiguration('');
  it('accepts the configuration we ship, and the path forms the apiserver accepts', () => {
    assert.deepEqual(validateWebhookConfiguration(base()), []);
    for (const path of ['', '/', '/inject/', '/inject/cluster-1/net/n.1']) {
      const config = base();
      config.webhooks[0].clientConfig.service.path = path;
      assert.deepEqual(validateWebhookConfiguration(config), [], path);
    }
  });

  it('refuses what the apiserver refuses', () => {
    const cases: Array<[string, (w: any) => void, RegExp]> = [
      ['a missing sideEffects', (w) => delete w.sideEffects, /sideEffects: Required value/],
      ['sideEffects Unknown (v1beta1 only)', (w) => (w.sideEffects = 'Unknown'), /sideEffects: Unsupported value/],
      ['no admissionReviewVersions', (w) => (w.admissionReviewVersions = []), /admissionReviewVersions: Required value/],
      ['duplicate admissionReviewVersions', (w) => (w.admissionReviewVersions = ['v1', 'v1']), /admissionReviewVersions: Duplicate/],
      ['timeoutSeconds 0', (w) => (w.timeoutSeconds = 0), /timeoutSeconds/],
      ['an empty path segment', (w) => (w.clientConfig.service.path = '/a//b'), /segment\[1\] may not be empty/],
      ['an upper-case path segment', (w) => (w.clientConfig.service.path = '/Inject'), /segment\[0\]/],
      ['port 0', (w) => (w.clientConfig.service.port = 0), /port/],
      ['both url and service', (w) => (w.clientConfig.url = 'https://x.example.com/'), /exactly one of url or service/],
      ['an http url', (w) => ((w.clientConfig = { url: 'http://x.example.com/' })), /'https' is the only allowed URL scheme/],
      ['a url with a query', (w) => ((w.clientConfig = { url: 'https://x.example.com/?a=b' })), /query parameters/],
      ['In without values', (w) => (w.namespaceSelector = { matchExpressions: [{ key: 'a', operator: 'In' }] }), /values: Required value/],
      ['an unknown selector operator', (w) => (w.objectSelector = { matchExpressions: [{ key: 'a', operator: 'Is' }] }), /operator: Invalid value/],
      ['a rule without operations', (w) => (w.rules = [{ operations: [], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]), /operations: Required value/],
      ['an unknown operation', (w) => (w.rules = [{ operations: ['PATCH'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]), /operations: Unsupported value/],
      ['matchPolicy Fuzzy', (w) => (w.matchPolicy = 'Fuzzy'), /matchPolicy/],
      ['a caBundle that is not base64', (w) => (w.clientConfig.caBundle = '-----BEGIN'), /caBundle/],
    ];
    for (const [name, mutate, message] of cases) {
      const config = base();
      mutate(config.webhooks[0]);
      assert.match(validateWebhookConfiguration(config).join('\n'), message, name);
    }
    const twice = base();
    twice.webhooks.push({ ...twice.webhooks[0] });
    assert.match(validateWebhookConfiguration(twice).join('\n'), /Duplicate value: "sidecar-injector.istio.io"/);
  });
});

describe('the emulator decodes and defaults pods as the apiserver does', () => {
  it('reads image tags like Go: no tag means latest, a registry port is not a tag, a digest is', () => {
    assert.equal(imageTag('nginx'), 'latest');
    assert.equal(imageTag('registry:5000/nginx'), 'latest');
    assert.equal(imageTag('registry:5000/nginx:1.27'), '1.27');
    assert.equal(imageTag('nginx@sha256:abc'), '');
  });

  it('refuses objects that are not v1 Pods with the apiserver\'s messages, and writes quantities canonical', () => {
    assert.throws(() => decodePod({ apiVersion: 'v1', kind: 'Service' }), { message: 'converting (v1.Service) to (core.Pod): unknown conversion' });
    assert.throws(() => decodePod({ apiVersion: 'v1', kind: 'Pod', spec: { containers: {} } }), { message: 'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container' });
    assert.throws(() => decodePod({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ ports: [{ containerPort: '80' }] }] } }), { message: 'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32' });
    assert.throws(() => decodePod({ apiVersion: 'v1', kind: 'Pod', metadata: { labels: { n: 5 } } }), { message: 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string' });
    assert.throws(() => decodePod({ apiVersion: 'v1', kind: 'Pod', spec: { hostNetwork: 'yes' } }), DecodeError);
    const pod = decodePod({ apiVersion: 'v1', kind: 'Pod', metadata: { labels: {} }, spec: { containers: [{ name: 'a', resources: { limits: { cpu: 1, memory: '0.5Gi' }, requests: { cpu: '0.25' } } }], volumes: [] } });
    assert.deepEqual(pod.spec, { containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m' } } }] });
    assert.deepEqual(pod.metadata, {});
  });
});

describe('the emulator checks certificates as Go does', () => {
  it('refuses a SHA-1 signed leaf in its own check, whatever OpenSSL would do', async () => {
    const rsaCa = await selfsigned.generate([{ name: 'commonName', value: 'rsa-ca' }], { algorithm: 'sha256', keyType: 'rsa', extensions: [{ name: 'basicConstraints', cA: true }] });
    const sha1 = await selfsigned.generate([{ name: 'commonName', value: SVC }], {
      algorithm: 'sha1',
      keyType: 'rsa',
      ca: { key: rsaCa.private, cert: rsaCa.cert },
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: SVC }] }],
    });
    const x = new X509Certificate(sha1.cert);
    assert.equal(signatureAlgorithmOid(x.raw), '2a864886f70d010105');
    const root = { raw: new X509Certificate(rsaCa.cert).raw, fingerprint256: 'root' } as any;
    root.issuerCertificate = root;
    const peer = { subjectaltname: x.subjectAltName, raw: x.raw, fingerprint256: 'leaf', issuerCertificate: root } as unknown as PeerCertificate;
    assert.match(String(verifyServerCertificate(SVC, peer)), /insecure algorithm SHA1-RSA/);
  });

  it('accepts a SHA-256 leaf with the DNS SAN (wildcards too) and refuses CN-only and IP-only leaves', async () => {
    const ca = await generateCa();
    const peerOf = (kp: KeyPair) => {
      const x = new X509Certificate(kp.cert);
      return { subjectaltname: x.subjectAltName, raw: x.raw, fingerprint256: x.fingerprint256, issuerCertificate: { raw: new X509Certificate(ca.cert).raw, fingerprint256: 'ca' } } as unknown as PeerCertificate;
    };
    const exact = peerOf(await generateServingCert(ca, { sans: [SVC] }));
    assert.equal(verifyServerCertificate(SVC, exact), undefined);
    assert.equal(verifyServerCertificate(SVC.toUpperCase(), exact), undefined);
    assert.equal(verifyServerCertificate(SVC, peerOf(await generateServingCert(ca, { sans: ['*.istio-system.svc'] }))), undefined);
    assert.match(String(verifyServerCertificate(SVC, peerOf(await generateServingCert(ca, { sans: ['127.0.0.1'] })))), /not sidecar-injector.istio-system.svc/);
    assert.match(String(verifyServerCertificate(SVC, { subjectaltname: undefined, raw: exact.raw } as unknown as PeerCertificate)), /legacy Common Name/);
  });
});
