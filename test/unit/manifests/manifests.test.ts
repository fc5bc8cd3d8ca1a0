import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { buildManifests, defaultValues, type InstallValues, type Manifest } from '../../../src/manifests/index.js';
import { validateWebhookConfiguration } from '../../e2e/emulator/webhook-configuration.js';

const RELEASE = { name: 'sidecar-injector', namespace: 'istio-system' };

function valuesWith(change: (v: InstallValues) => void): InstallValues {
  const v = defaultValues();
  v.certificates.caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
  change(v);
  return v;
}

function byKind(docs: Manifest[], kind: string): any {
  const found = docs.filter((d) => d.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0];
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  ServiceAccount,
  ConfigMap,
  Service,
  Deployment,
  PodDisruptionBudget,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  MutatingWebhookConfiguration,
};

/** Schema-checks every core resource and applies the apiserver's webhook configuration rules. */
function assertValid(docs: Manifest[]): void {
  for (const doc of docs) {
    if (doc.apiVersion.startsWith('cert-manager.io/')) continue;
    const Model = MODELS[doc.kind];
    assert.ok(Model !== undefined, `no schema for ${doc.kind}`);
    assert.doesNotThrow(() => new Model(doc).validate(), `${doc.kind} validates`);
  }
  assert.deepEqual(validateWebhookConfiguration(byKind(docs, 'MutatingWebhookConfiguration')), []);
}

describe('buildManifests', () => {
  it('builds valid resources for every certificate mode', () => {
    for (const mode of ['secret', 'cert-manager', 'server'] as const) {
      assertValid(buildManifests(valuesWith((v) => (v.certificates.mode = mode)), RELEASE));
    }
  });

  it('runs two non-root replicas with a read-only root filesystem, spread across nodes, behind a PodDisruptionBudget', () => {
    const docs = buildManifests(valuesWith(() => {}), RELEASE);
    const deployment = byKind(docs, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(pod.securityContext.runAsUser, 0);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    assert.equal(pod.topologySpreadConstraints[0].topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(byKind(docs, 'PodDisruptionBudget').spec, { minAvailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    assert.equal(deployment.spec.template.metadata.labels['sidecar.istio.io/inject'], 'false', 'the injector never injects itself');
  });

  it('matches the termination grace period to the server drain, and probes the HTTPS port', () => {
    const docs = buildManifests(valuesWith((v) => (v.server.shutdownGraceSeconds = 30)), RELEASE);
    const pod = byKind(docs, 'Deployment').spec.template.spec;
    const [container] = pod.containers;
    const args: string[] = container.args;
    assert.equal(args[args.indexOf('--shutdown-grace-seconds') + 1], '30');
    assert.equal(pod.terminationGracePeriodSeconds, 35);
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(container.ports.find((p: any) => p.name === 'https'), { name: 'https', containerPort: 9443, protocol: 'TCP' });
  });

  it('routes the webhook through the Service on 443 to the container port', () => {
    const docs = buildManifests(valuesWith(() => {}), RELEASE);
    const service = byKind(docs, 'Service');
    const webhook = byKind(docs, 'MutatingWebhookConfiguration').webhooks[0];
    const port = service.spec.ports.find((p: any) => p.name === 'https');
    assert.deepEqual(port, { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' });
    assert.deepEqual(webhook.clientConfig.service, { name: service.metadata.name, namespace: 'istio-system', path: '/inject', port: 443 });
    assert.deepEqual(service.spec.selector, byKind(docs, 'Deployment').spec.selector.matchLabels);
    assert.deepEqual(webhook.namespaceSelector.matchExpressions[0].values, ['kube-system', 'istio-system']);
  });

  it('mode secret: mounts the Secret, passes its files, renders the given caBundle, and needs no API access', () => {
    const docs = buildManifests(valuesWith((v) => (v.certificates.caBundle = 'Q0E=')), RELEASE);
    const pod = byKind(docs, 'Deployment').spec.template.spec;
    assert.deepEqual(pod.volumes.find((v: any) => v.name === 'certs'), { name: 'certs', secret: { secretName: 'sidecar-injector-tls' } });
    const args: string[] = pod.containers[0].args;
    assert.equal(args[args.indexOf('--tls-cert-file') + 1], '/etc/sidecar-injector/certs/tls.crt');
    assert.equal(args[args.indexOf('--tls-key-file') + 1], '/etc/sidecar-injector/certs/tls.key');
    assert.equal(byKind(docs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.caBundle, 'Q0E=');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(docs.some((d) => d.kind.includes('Role')), false);
  });

  it('mode secret without a caBundle is refused with a hint', () => {
    assert.throws(() => buildManifests(defaultValues(), RELEASE), /certificates\.caBundle.*--ca-file/);
  });

  it('mode cert-manager: a Certificate for the Service name, CA injected by annotation, never rendered', () => {
    const docs = buildManifests(valuesWith((v) => (v.certificates.mode = 'cert-manager')), { name: 'inj', namespace: 'mesh' });
    const config = byKind(docs, 'MutatingWebhookConfiguration');
    assert.equal(config.metadata.annotations['cert-manager.io/inject-ca-from'], 'mesh/inj');
    assert.equal('caBundle' in config.webhooks[0].clientConfig, false);
    const certificate = byKind(docs, 'Certificate');
    assert.equal(certificate.metadata.name, 'inj');
    assert.ok(certificate.spec.dnsNames.includes('inj.mesh.svc'), 'the SAN the apiserver checks');
    assert.equal(certificate.spec.secretName, 'inj-tls');
    assert.deepEqual(certificate.spec.issuerRef, { name: 'inj-selfsigned', kind: 'Issuer', group: 'cert-manager.io' });
    assert.equal(byKind(docs, 'Issuer').metadata.name, 'inj-selfsigned');
    const pod = byKind(docs, 'Deployment').spec.template.spec;
    assert.equal(pod.volumes.find((v: any) => v.name === 'certs').secret.secretName, 'inj-tls');
  });

  it('mode cert-manager with an issuerRef uses it and creates no Issuer', () => {
    const docs = buildManifests(valuesWith((v) => Object.assign(v.certificates, { mode: 'cert-manager', certManager: { ...v.certificates.certManager, issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } })), RELEASE);
    assert.deepEqual(byKind(docs, 'Certificate').spec.issuerRef, { name: 'corp-ca', kind: 'ClusterIssuer' });
    assert.equal(docs.some((d) => d.kind === 'Issuer'), false);
  });

  it('mode server: least RBAC (its own configuration and its Lease only), caBundle never rendered', () => {
    const docs = buildManifests(valuesWith((v) => (v.certificates.mode = 'server')), RELEASE);
    assert.deepEqual(byKind(docs, 'ClusterRole').rules, [
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['sidecar-injector'], verbs: ['get', 'update'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['list', 'watch'] },
    ]);
    assert.deepEqual(byKind(docs, 'Role').rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['sidecar-injector-ca-bundle'], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      assert.deepEqual(byKind(docs, kind).subjects, [{ kind: 'ServiceAccount', name: 'sidecar-injector', namespace: 'istio-system' }]);
    }
    assert.equal('caBundle' in byKind(docs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig, false);
    const pod = byKind(docs, 'Deployment').spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, true);
    assert.equal(byKind(docs, 'ServiceAccount').automountServiceAccountToken, true);
    const args: string[] = pod.containers[0].args;
    assert.ok(args.includes('--manage-ca-bundle'));
    assert.equal(args[args.indexOf('--webhook-config-name') + 1], 'sidecar-injector');
    assert.equal(args[args.indexOf('--ca-file') + 1], '/etc/sidecar-injector/certs/ca.crt');
    assert.equal(args[args.indexOf('--lease-namespace') + 1], 'istio-system');
  });

  it('renders no PodDisruptionBudget for a single replica (it would block node drains)', () => {
    const docs = buildManifests(valuesWith((v) => (v.replicaCount = 1)), RELEASE);
    assert.equal(docs.some((d) => d.kind === 'PodDisruptionBudget'), false);
  });

  it('puts the injector configuration into the ConfigMap only when set', () => {
    assert.deepEqual(byKind(buildManifests(valuesWith(() => {}), RELEASE), 'ConfigMap').data, {});
    const docs = buildManifests(valuesWith((v) => (v.config = { values: { global: { hub: 'example.io' } }, config: { policy: 'disabled' }, mesh: {} })), RELEASE);
    assert.deepEqual(byKind(docs, 'ConfigMap').data, { values: '{"global":{"hub":"example.io"}}', config: 'policy: disabled\n' });
  });

  it('selects namespaces by the label from values (istio-injection=enabled by default)', () => {
    const selector = (docs: Manifest[]) => byKind(docs, 'MutatingWebhookConfiguration').webhooks[0].namespaceSelector.matchLabels;
    assert.deepEqual(selector(buildManifests(valuesWith(() => {}), RELEASE)), { 'istio-injection': 'enabled' });
    const docs = buildManifests(valuesWith((v) => (v.webhook.namespaceLabel = { key: 'istio.io/rev', value: 'canary' })), RELEASE);
    assert.deepEqual(selector(docs), { 'istio.io/rev': 'canary' });
    assertValid(docs);
  });

  it('service.externalName: an ExternalName Service the webhook still reaches by its Service name', () => {
    const docs = buildManifests(valuesWith((v) => (v.service = { port: 8443, externalName: 'injector.example.com' })), RELEASE);
    const service = byKind(docs, 'Service');
    assert.equal(service.spec.type, 'ExternalName');
    assert.equal(service.spec.externalName, 'injector.example.com');
    assert.equal('selector' in service.spec, false);
    assert.deepEqual(byKind(docs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.service, { name: 'sidecar-injector', namespace: 'istio-system', path: '/inject', port: 8443 });
    assertValid(docs);
  });

  it('refuses a name that is not a DNS label', () => {
    assert.throws(() => buildManifests(valuesWith(() => {}), { name: 'Bad_Name', namespace: 'x' }), /invalid name 'Bad_Name'/);
  });
});
