/**
 * Every installation resource as a plain object, from {@link InstallValues}: the same resources,
 * names, labels and arguments as the Helm chart's templates (kept side by side so they can be
 * compared by eye; the chart's own labels add `helm.sh/chart` and `managed-by: Helm`).
 */
import { stringify } from 'yaml';
import { InjectorError } from '../errors.js';
import { PATHS, TERMINATION_MARGIN_SECONDS, type InstallValues } from './values.js';
import { buildWebhookConfiguration } from './webhook-configuration.js';

/** A Kubernetes object as plain data. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

/** Where the resources go: Helm's release name and namespace. */
export interface Release {
  name: string;
  namespace: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Resource name: `fullnameOverride`, else the release name (as the chart's helper). */
export function fullname(values: InstallValues, release: Release): string {
  return (values.fullnameOverride || release.name).slice(0, 63).replace(/-+$/, '');
}

/** Labels that select the injector's pods. */
export function selectorLabels(release: Release): Record<string, string> {
  return { 'app.kubernetes.io/name': 'sidecar-injector', 'app.kubernetes.io/instance': release.name };
}

function labels(values: InstallValues, release: Release): Record<string, string> {
  return { ...selectorLabels(release), 'app.kubernetes.io/version': values.image.tag, 'app.kubernetes.io/component': 'webhook' };
}

/** Secret holding tls.crt and tls.key (and ca.crt in modes cert-manager and server). */
export function tlsSecretName(values: InstallValues, release: Release): string {
  return values.certificates.secretName || `${fullname(values, release)}-tls`;
}

/** Builds the resources in apply order; throws a USAGE error for settings that cannot work. */
export function buildManifests(values: InstallValues, release: Release): Manifest[] {
  const name = fullname(values, release);
  if (!DNS_LABEL.test(name)) throw new InjectorError('USAGE', `invalid name '${name}': expected a DNS label (lowercase letters, digits and '-')`);
  if (!DNS_LABEL.test(release.namespace)) throw new InjectorError('USAGE', `invalid namespace '${release.namespace}': expected a DNS label`);
  const mode = values.certificates.mode;
  if (mode === 'secret' && values.certificates.caBundle === '') {
    throw new InjectorError('USAGE', 'certificates.mode secret needs the CA that signed the Secret\'s certificate: set certificates.caBundle (base64 PEM; `manifests --ca-file certs/ca.crt`)');
  }
  const meta = (suffix = '') => ({ name: name + suffix, namespace: release.namespace, labels: labels(values, release) });
  const out: Manifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(), automountServiceAccountToken: mode === 'server' },
  ];
  if (mode === 'server') out.push(...rbac(values, release, name));
  out.push(configMap(values, release, meta('-config')));
  out.push(service(values, release, meta()));
  out.push(deployment(values, release, meta(), name));
  if (values.replicaCount > 1) {
    out.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(), spec: { minAvailable: values.podDisruptionBudget.minAvailable, selector: { matchLabels: selectorLabels(release) } } });
  }
  if (mode === 'cert-manager') out.push(...certManager(values, release, name));
  out.push(webhookConfiguration(values, release, name));
  return out;
}

function rbac(values: InstallValues, release: Release, name: string): Manifest[] {
  const clusterMeta = { name, labels: labels(values, release) };
  const namespacedMeta = { ...clusterMeta, namespace: release.namespace };
  const subjects = [{ kind: 'ServiceAccount', name, namespace: release.namespace }];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: clusterMeta,
      // Reads and repairs the caBundle of its own configuration only; list/watch cannot be limited
      // by name in RBAC, and reveal nothing secret.
      rules: [
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [name], verbs: ['get', 'update'] },
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['list', 'watch'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: clusterMeta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: namespacedMeta,
      // The Lease that elects the one replica writing the caBundle (create cannot be limited by name).
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`${name}-ca-bundle`], verbs: ['get', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: namespacedMeta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects },
  ];
}

function configMap(values: InstallValues, _release: Release, metadata: Record<string, unknown>): Manifest {
  const data: Record<string, string> = {};
  const { values: injectorValues, config, mesh } = values.config;
  if (Object.keys(injectorValues).length > 0) data.values = JSON.stringify(injectorValues);
  if (Object.keys(config).length > 0) data.config = stringify(config);
  if (Object.keys(mesh).length > 0) data.mesh = stringify(mesh);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}

function service(values: InstallValues, release: Release, metadata: Record<string, unknown>): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      // With an externalName the apiserver calls that host, still verifying the Service's DNS name.
      ...(values.service.externalName !== '' ? { type: 'ExternalName', externalName: values.service.externalName } : { type: 'ClusterIP', selector: selectorLabels(release) }),
      ports: [
        { name: 'https', port: values.service.port, targetPort: 'https', protocol: 'TCP' },
        { name: 'http-monitoring', port: values.server.monitoringPort, targetPort: 'http-monitoring', protocol: 'TCP' },
      ],
    },
  };
}

/** The `serve` arguments; the chart's deployment template spells out the same list. */
export function serverArgs(values: InstallValues, release: Release, name: string): string[] {
  const s = values.server;
  const args = ['serve', '--host', '0.0.0.0', '--port', String(s.port), '--monitoring-port', String(s.monitoringPort), '--config-dir', PATHS.configDir, '--log-level', s.logLevel, '--on-internal-error', s.onInternalError, '--review-budget-share', String(s.reviewBudgetShare), '--review-watchdog-bytes', String(s.reviewWatchdogBytes), '--shutdown-grace-seconds', String(s.shutdownGraceSeconds)];
  args.push('--tls-cert-file', `${PATHS.certsDir}/tls.crt`, '--tls-key-file', `${PATHS.certsDir}/tls.key`);
  if (values.certificates.mode === 'server') {
    // The CA comes from the same Secret (key ca.crt); one elected replica writes the caBundle.
    args.push('--manage-ca-bundle', '--webhook-config-name', name, '--ca-file', `${PATHS.certsDir}/ca.crt`, '--lease-namespace', release.namespace);
  }
  return args;
}

function deployment(values: InstallValues, release: Release, metadata: Record<string, unknown>, name: string): Manifest {
  const mode = values.certificates.mode;
  const probe = (path: string, periodSeconds: number) => ({ httpGet: { path, port: 'https', scheme: 'HTTPS' }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });
  const volumeMounts: Record<string, unknown>[] = [
    { name: 'config', mountPath: PATHS.configDir, readOnly: true },
    { name: 'certs', mountPath: PATHS.certsDir, readOnly: true },
    { name: 'tmp', mountPath: PATHS.tmpDir },
  ];
  const volumes: Record<string, unknown>[] = [
    { name: 'config', configMap: { name: `${name}-config` } },
    { name: 'certs', secret: { secretName: tlsSecretName(values, release) } },
    { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } },
  ];
  const podSpec: Record<string, unknown> = {
    serviceAccountName: name,
    automountServiceAccountToken: mode === 'server',
    terminationGracePeriodSeconds: values.server.shutdownGraceSeconds + TERMINATION_MARGIN_SECONDS,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(release) } }],
    containers: [
      {
        name: 'sidecar-injector',
        image: `${values.image.repository}:${values.image.tag}`,
        imagePullPolicy: values.image.pullPolicy,
        args: serverArgs(values, release, name),
        ports: [
          { name: 'https', containerPort: values.server.port, protocol: 'TCP' },
          { name: 'http-monitoring', containerPort: values.server.monitoringPort, protocol: 'TCP' },
        ],
        livenessProbe: probe('/healthz', 10),
        readinessProbe: probe('/readyz', 5),
        resources: values.resources,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts,
      },
    ],
    volumes,
  };
  if (values.imagePullSecrets.length > 0) podSpec.imagePullSecrets = values.imagePullSecrets;
  if (Object.keys(values.nodeSelector).length > 0) podSpec.nodeSelector = values.nodeSelector;
  if (values.tolerations.length > 0) podSpec.tolerations = values.tolerations;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: values.replicaCount,
      selector: { matchLabels: selectorLabels(release) },
      template: {
        // Never inject the injector: it would wait for itself.
        metadata: { labels: { ...selectorLabels(release), 'sidecar.istio.io/inject': 'false' } },
        spec: podSpec,
      },
    },
  };
}

function certManager(values: InstallValues, release: Release, name: string): Manifest[] {
  const cm = values.certificates.certManager;
  const out: Manifest[] = [];
  let issuerRef: Record<string, unknown> = { ...cm.issuerRef };
  if (cm.issuerRef.name === undefined || cm.issuerRef.name === '') {
    out.push({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: `${name}-selfsigned`, namespace: release.namespace, labels: labels(values, release) }, spec: { selfSigned: {} } });
    issuerRef = { name: `${name}-selfsigned`, kind: 'Issuer', group: 'cert-manager.io' };
  }
  out.push({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: release.namespace, labels: labels(values, release) },
    spec: {
      secretName: tlsSecretName(values, release),
      dnsNames: [`${name}.${release.namespace}.svc`, `${name}.${release.namespace}.svc.cluster.local`],
      ...(cm.duration ? { duration: cm.duration } : {}),
      ...(cm.renewBefore ? { renewBefore: cm.renewBefore } : {}),
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef,
    },
  });
  return out;
}

function webhookConfiguration(values: InstallValues, release: Release, name: string): Manifest {
  const w = values.webhook;
  const mode = values.certificates.mode;
  return buildWebhookConfiguration({
    name,
    namespace: release.namespace,
    serviceName: name,
    port: values.service.port,
    // Mode server patches it at run time and cert-manager injects it: never rendered, so GitOps
    // tools see no drift.
    ...(mode === 'secret' ? { caBundle: values.certificates.caBundle } : {}),
    failurePolicy: w.failurePolicy,
    timeoutSeconds: w.timeoutSeconds,
    reinvocationPolicy: w.reinvocationPolicy,
    webhookName: w.name,
    namespaceLabel: w.namespaceLabel,
    excludedNamespaces: w.excludedNamespaces,
    labels: labels(values, release),
    ...(mode === 'cert-manager' ? { annotations: { 'cert-manager.io/inject-ca-from': `${release.namespace}/${name}` } } : {}),
  }) as Manifest;
}
