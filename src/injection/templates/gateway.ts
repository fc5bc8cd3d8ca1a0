/**
 * The `gateway` template: the pod is a gateway whose only job is the proxy (`proxy router`), so
 * there is no traffic redirection and no init container; the pod may bind low ports.
 */
import { annotationOr, canonicalName } from '../meta.js';
import type { RenderContext } from '../context.js';
import { agentArgs, networkEnv, bootstrapOverrideVolumes, caCertVolumes, mtlsCertsVolumes, podInfoAndTokenVolumes, workloadCertsVolume } from './shared.js';
import type { JsonObject } from '../types.js';
import {
  agentEnv,
  complianceEnv,
  fieldEnv,
  ownerAndMeshEnv,
  resourceEnv,
  sortedEnv,
  truthy,
  withoutEmptyValues,
  type Fragment,
} from './sidecar.js';

function gatewayEnv(ctx: RenderContext): JsonObject[] {
  const global = ctx.values.global;
  const env: JsonObject[] = [
    ...agentEnv(ctx),
    resourceEnv('GOMEMLIMIT', 'limits.memory'),
    ...complianceEnv(ctx),
    { name: 'ISTIO_META_APP_CONTAINERS', value: ctx.appContainers.join(',') },
    { name: 'ISTIO_META_CLUSTER_ID', value: ctx.clusterId ?? (truthy(global.multiCluster?.clusterName) ? String(global.multiCluster.clusterName) : 'Kubernetes') },
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: String(ctx.proxyConfig.interceptionMode ?? 'REDIRECT') },
  ];
  env.push(...networkEnv(ctx));
  if (ctx.workload.name !== '') env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: ctx.workload.name });
  env.push(...ownerAndMeshEnv(ctx), ...sortedEnv(ctx.proxyConfig.proxyMetadata));
  return withoutEmptyValues(env);
}

function gatewayMounts(ctx: RenderContext): JsonObject[] {
  const global = ctx.values.global;
  const mounts: JsonObject[] = [
    { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
    { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
    global.caName === 'GkeWorkloadCertificate'
      ? { name: 'gke-workload-certificate', mountPath: '/var/run/secrets/workload-spiffe-credentials', readOnly: true }
      : { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
  ];
  if (global.pilotCertProvider === 'istiod') mounts.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' });
  mounts.push({ mountPath: '/var/lib/istio/data', name: 'istio-data' });
  if ('sidecar.istio.io/bootstrapOverride' in ctx.annotations) mounts.push({ mountPath: '/etc/istio/custom-bootstrap', name: 'custom-bootstrap-volume' });
  mounts.push({ mountPath: '/etc/istio/proxy', name: 'istio-envoy' }, { mountPath: '/var/run/secrets/tokens', name: 'istio-token' });
  if (global.mountMtlsCerts === true) mounts.push({ mountPath: '/etc/certs/', name: 'istio-certs', readOnly: true });
  mounts.push({ name: 'istio-podinfo', mountPath: '/etc/istio/pod' });
  return mounts;
}

function gatewayVolumes(ctx: RenderContext): JsonObject[] {
  return [
    { name: 'workload-socket' },
    { emptyDir: {}, name: 'credential-socket' },
    workloadCertsVolume(ctx, true),
    ...bootstrapOverrideVolumes(ctx),
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { name: 'istio-data', emptyDir: {} },
    ...podInfoAndTokenVolumes(ctx),
    ...caCertVolumes(ctx),
    ...mtlsCertsVolumes(ctx),
  ];
}

/** Renders the gateway template for the pod in `ctx`. */
export function gatewayTemplate(ctx: RenderContext): Fragment {
  const { values, annotations, labels } = ctx;
  const global = values.global;
  const proxy = global.proxy;
  const customImage = annotationOr(annotations, 'sidecar.istio.io/proxyImage', proxy.image);
  const args = agentArgs(ctx, 'router');
  const container: JsonObject = {
    name: 'istio-proxy',
    image: customImage.includes('/') ? customImage : ctx.proxyImage,
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args,
  };
  if (truthy(proxy.lifecycle)) container.lifecycle = proxy.lifecycle;
  // The user's own istio-proxy settings are laid over this afterwards.
  container.securityContext = { runAsUser: 1337, runAsGroup: 1337 };
  container.env = gatewayEnv(ctx);
  if (truthy(global.imagePullPolicy)) container.imagePullPolicy = global.imagePullPolicy;
  const readiness: JsonObject = { httpGet: { path: '/healthz/ready', port: 15021 } };
  if (Number(proxy.readinessInitialDelaySeconds) !== 0) readiness.initialDelaySeconds = Number(proxy.readinessInitialDelaySeconds);
  Object.assign(readiness, { periodSeconds: Number(proxy.readinessPeriodSeconds), timeoutSeconds: 3, failureThreshold: Number(proxy.readinessFailureThreshold) });
  container.readinessProbe = readiness;
  container.volumeMounts = gatewayMounts(ctx);

  const out: Record<string, string> = { 'istio.io/rev': ctx.revision || 'default' };
  const first = ctx.appContainers[0];
  if (first !== undefined) {
    if (!('kubectl.kubernetes.io/default-logs-container' in annotations)) out['kubectl.kubernetes.io/default-logs-container'] = first;
    if (!('kubectl.kubernetes.io/default-container' in annotations)) out['kubectl.kubernetes.io/default-container'] = first;
  }
  const gatewaySecurity = values.gateways?.securityContext;
  return {
    labels: {
      'service.istio.io/canonical-name': canonicalName(labels['service.istio.io/canonical-name'] || labels['app.kubernetes.io/name'] || labels.app || ctx.workload.name),
      'service.istio.io/canonical-revision': labels['service.istio.io/canonical-revision'] || labels['app.kubernetes.io/version'] || labels.version || 'latest',
    },
    annotations: out,
    initContainers: undefined,
    containers: [container],
    volumes: gatewayVolumes(ctx),
    imagePullSecrets: ((global.imagePullSecrets ?? []) as string[]).map((name) => ({ name })),
    securityContext: truthy(gatewaySecurity) ? gatewaySecurity : { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
  };
}
