/**
 * Pieces the built-in templates have in common: the agent's arguments and the volumes every
 * proxy flavour mounts (pod info, token, CA, mTLS certificates).
 */
import { annotationOr } from '../meta.js';
import type { RenderContext } from '../context.js';
import type { JsonObject } from '../types.js';

function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** `pilot-agent proxy <role>` with the domain, log levels and optional flags. */
/** The values' network, in the templates' own place (the pod's label moves it later, as in Istio). */
export function networkEnv(ctx: RenderContext): JsonObject[] {
  const network = ctx.values.global.network;
  return truthy(network) ? [{ name: 'ISTIO_META_NETWORK', value: String(network) }] : [];
}

export function agentArgs(ctx: RenderContext, role: 'sidecar' | 'router'): string[] {
  const { annotations, values } = ctx;
  const global = values.global;
  const proxy = global.proxy;
  const args = [
    'proxy',
    role,
    '--domain',
    `$(POD_NAMESPACE).svc.${proxy.clusterDomain}`,
    `--proxyLogLevel=${annotationOr(annotations, 'sidecar.istio.io/logLevel', proxy.logLevel)}`,
    `--proxyComponentLogLevel=${annotationOr(annotations, 'sidecar.istio.io/componentLogLevel', proxy.componentLogLevel)}`,
    `--log_output_level=${annotationOr(annotations, 'sidecar.istio.io/agentLogLevel', global.logging?.level)}`,
  ];
  if (truthy(global.sts?.servicePort)) args.push(`--stsPort=${global.sts.servicePort}`);
  if (global.logAsJson === true) args.push('--log_as_json');
  return args;
}

/** The workload certificate volume: GKE's CSI driver or an emptyDir (written `{}` or left empty). */
export function workloadCertsVolume(ctx: RenderContext, emptyDir: boolean): JsonObject {
  return ctx.values.global.caName === 'GkeWorkloadCertificate'
    ? { name: 'gke-workload-certificate', csi: { driver: 'workloadcertificates.security.cloud.google.com' } }
    : emptyDir ? { emptyDir: {}, name: 'workload-certs' } : { name: 'workload-certs' };
}

/** The ConfigMap named by `sidecar.istio.io/bootstrapOverride`, when set. */
export function bootstrapOverrideVolumes(ctx: RenderContext): JsonObject[] {
  const name = ctx.annotations['sidecar.istio.io/bootstrapOverride'];
  return name === undefined ? [] : [{ name: 'custom-bootstrap-volume', configMap: { name } }];
}

/** Pod labels and annotations for the agent, and its token for the CA. */
export function podInfoAndTokenVolumes(ctx: RenderContext): JsonObject[] {
  return [
    {
      name: 'istio-podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: ctx.values.global.sds?.token?.aud ?? 'istio-ca' } }] } },
  ];
}

/** istiod's root certificate, from a ConfigMap or a ClusterTrustBundle; none with another cert provider. */
export function caCertVolumes(ctx: RenderContext): JsonObject[] {
  const { values } = ctx;
  const global = values.global;
  if (global.pilotCertProvider !== 'istiod') return [];
  const bundle = truthy(global.trustBundleName) ? String(global.trustBundleName) : undefined;
  return [
    values.pilot?.env?.ENABLE_CLUSTER_TRUST_BUNDLE_API === true
      ? { name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name: `istio.io:istiod-ca:${bundle ?? 'root-cert'}`, path: 'root-cert.pem' } }] } }
      : { name: 'istiod-ca-cert', configMap: { name: bundle ?? 'istio-ca-root-cert' } },
  ];
}

/** The `istio.<serviceaccount>` secret, with `global.mountMtlsCerts`. */
export function mtlsCertsVolumes(ctx: RenderContext): JsonObject[] {
  if (ctx.values.global.mountMtlsCerts !== true) return [];
  const account = String(ctx.pod.spec?.serviceAccountName ?? '');
  return [{ name: 'istio-certs', secret: { optional: true, secretName: account === '' ? 'istio.default' : `istio.${account}` } }];
}
