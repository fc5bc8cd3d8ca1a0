/**
 * The proxyless gRPC templates. `grpc-simple` only writes an xDS bootstrap for the app's gRPC
 * library; `grpc-agent` adds the agent (no Envoy) to serve certificates and the bootstrap.
 */
import { annotationOr, canonicalName } from '../meta.js';
import type { RenderContext } from '../context.js';
import { agentArgs, networkEnv, bootstrapOverrideVolumes, caCertVolumes, mtlsCertsVolumes, podInfoAndTokenVolumes, workloadCertsVolume } from './shared.js';
import type { JsonObject } from '../types.js';
import {
  agentEnv,
  fieldEnv,
  readinessSetting,
  ownerAndMeshEnv,
  proxyResources,
  sortedEnv,
  truthy,
  userJsonMap,
  withoutEmptyValues,
  type Fragment,
} from './sidecar.js';

const BOOTSTRAP_SCRIPT = [
  'NODE_ID="sidecar~${INSTANCE_IP}~${POD_NAME}.${POD_NAMESPACE}~cluster.local"',
  'SERVER_URI="dns:///istiod.${ISTIO_NAMESPACE}.svc:15010"',
  "echo '",
  '{',
  '  "xds_servers": [',
  '    {',
  '      "server_uri": "\'${SERVER_URI}\'",',
  '      "channel_creds": [{"type": "insecure"}],',
  '      "server_features" : ["xds_v3"]',
  '    }',
  '  ],',
  '  "node": {',
  '    "id": "\'${NODE_ID}\'",',
  '    "metadata": {',
  '      "GENERATOR": "grpc"',
  '    }',
  '  }',
  "}' > /var/lib/grpc/data/bootstrap.json",
].join('\n');

function appContainerNames(ctx: RenderContext): string[] {
  return ((ctx.pod.spec?.containers ?? []) as JsonObject[]).map((c) => String(c.name));
}

/** Proxyless gRPC without the agent: an init container writes the xDS bootstrap file. */
export function grpcSimpleTemplate(ctx: RenderContext): Fragment {
  const mount = { mountPath: '/var/lib/grpc/data/', name: 'grpc-io-proxyless-bootstrap' };
  return {
    labels: {},
    annotations: { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' },
    initContainers: [
      {
        name: 'grpc-bootstrap-init',
        image: 'busybox:1.28',
        volumeMounts: [mount],
        env: [
          fieldEnv('INSTANCE_IP', 'status.podIP'),
          fieldEnv('POD_NAME', 'metadata.name'),
          fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
          { name: 'ISTIO_NAMESPACE', value: `${ctx.values.global.istioNamespace}\n` },
        ],
        command: ['sh', '-c', BOOTSTRAP_SCRIPT],
      },
    ],
    containers: appContainerNames(ctx).map((name) => ({
      name,
      env: [
        { name: 'GRPC_XDS_BOOTSTRAP', value: '/var/lib/grpc/data/bootstrap.json' },
        { name: 'GRPC_GO_LOG_VERBOSITY_LEVEL', value: '99' },
        { name: 'GRPC_GO_LOG_SEVERITY_LEVEL', value: 'info' },
      ],
      volumeMounts: [mount],
    })),
    volumes: [{ name: 'grpc-io-proxyless-bootstrap', emptyDir: {} }],
    imagePullSecrets: [],
  };
}

function agentContainer(ctx: RenderContext): JsonObject {
  const { values, annotations } = ctx;
  const global = values.global;
  const proxy = global.proxy;
  const customImage = annotationOr(annotations, 'sidecar.istio.io/proxyImage', proxy.image);
  const args = agentArgs(ctx, 'sidecar');
  const env: JsonObject[] = [{ name: 'ISTIO_META_GENERATOR', value: 'grpc' }, { name: 'OUTPUT_CERTS', value: '/var/lib/istio/data' }];
  if (String(ctx.mesh.inboundTrafficPolicy?.mode ?? '').toLowerCase() === 'localhost') env.push({ name: 'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION', value: 'true' });
  // The agent template has no ISTIO_CPU_LIMIT.
  env.push(...agentEnv(ctx).filter((e) => e.name !== 'ISTIO_CPU_LIMIT'));
  env.push(
    { name: 'ISTIO_META_APP_CONTAINERS', value: ctx.appContainers.join(',') },
    { name: 'ISTIO_META_CLUSTER_ID', value: ctx.clusterId ?? (truthy(global.multiCluster?.clusterName) ? String(global.multiCluster.clusterName) : 'Kubernetes') },
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    ...networkEnv(ctx),
  );
  if (ctx.workload.name !== '') env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: ctx.workload.name });
  env.push(
    ...ownerAndMeshEnv(ctx).filter((e) => e.name !== 'ISTIO_BOOTSTRAP_OVERRIDE'),
    ...sortedEnv(ctx.proxyConfig.proxyMetadata),
    { name: 'ISTIO_META_DNS_CAPTURE', value: 'false' },
    { name: 'DISABLE_ENVOY', value: 'true' },
  );
  const container: JsonObject = {
    name: 'istio-proxy',
    image: customImage.includes('/') ? customImage : ctx.proxyImage,
    ports: [{ containerPort: 15020, protocol: 'TCP', name: 'mesh-metrics' }],
    args,
    lifecycle: { postStart: { exec: { command: ['pilot-agent', 'wait', '--url=http://localhost:15020/healthz/ready'] } } },
    env: withoutEmptyValues(env),
  };
  if (truthy(global.imagePullPolicy)) container.imagePullPolicy = global.imagePullPolicy;
  if (ctx.statusPort !== '0') {
    const readiness: JsonObject = { httpGet: { path: '/healthz/ready', port: 15020 } };
    const delay = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/initialDelaySeconds', proxy.readinessInitialDelaySeconds);
    if (delay !== 0) readiness.initialDelaySeconds = delay;
    readiness.periodSeconds = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/periodSeconds', proxy.readinessPeriodSeconds);
    readiness.timeoutSeconds = 3;
    readiness.failureThreshold = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/failureThreshold', proxy.readinessFailureThreshold);
    container.readinessProbe = readiness;
    container.resources = proxyResources(ctx);
    const mounts: JsonObject[] = [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      global.caName === 'GkeWorkloadCertificate'
        ? { name: 'gke-workload-certificate', mountPath: '/var/run/secrets/workload-spiffe-credentials', readOnly: true }
        : { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
    ];
    if (global.pilotCertProvider === 'istiod') mounts.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' });
    mounts.push({ mountPath: '/var/lib/istio/data', name: 'istio-data' }, { mountPath: '/etc/istio/proxy', name: 'istio-xds' }, { mountPath: '/var/run/secrets/tokens', name: 'istio-token' });
    if (global.mountMtlsCerts === true) mounts.push({ mountPath: '/etc/certs/', name: 'istio-certs', readOnly: true });
    mounts.push({ name: 'istio-podinfo', mountPath: '/etc/istio/pod' });
    for (const [name, mount] of userJsonMap(ctx, 'sidecar.istio.io/userVolumeMount')) mounts.push({ name, ...mount });
    container.volumeMounts = mounts;
  }
  // With the status port off, Istio's template writes neither the readiness probe nor the
  // resources nor the mounts (they sit in the same block).
  return container;
}

/** Proxyless gRPC with the agent serving certificates and the xDS bootstrap. */
export function grpcAgentTemplate(ctx: RenderContext): Fragment {
  const { values, annotations, labels } = ctx;
  const global = values.global;
  const certs = global.caName === 'GkeWorkloadCertificate'
    ? { name: 'gke-workload-certificate', mountPath: '/var/run/secrets/workload-spiffe-credentials', readOnly: true }
    : { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' };
  const apps = ctx.appContainers.map((name) => ({
    name,
    env: [
      { name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' },
      { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' },
    ],
    volumeMounts: [{ mountPath: '/var/lib/istio/data', name: 'istio-data' }, { mountPath: '/etc/istio/proxy', name: 'istio-xds' }, certs],
  }));
  const volumes: JsonObject[] = [
    { name: 'workload-socket' },
    workloadCertsVolume(ctx, false),
    ...bootstrapOverrideVolumes(ctx),
    { emptyDir: { medium: 'Memory' }, name: 'istio-xds' },
    { name: 'istio-data', emptyDir: {} },
    ...podInfoAndTokenVolumes(ctx),
    ...caCertVolumes(ctx),
    ...mtlsCertsVolumes(ctx),
    ...userJsonMap(ctx, 'sidecar.istio.io/userVolume').map(([name, volume]) => ({ name, ...volume })),
  ];
  const out: Record<string, string> = { 'istio.io/rev': ctx.revision || 'default' };
  const first = ctx.appContainers[0];
  if (first !== undefined) {
    if (!('kubectl.kubernetes.io/default-logs-container' in annotations)) out['kubectl.kubernetes.io/default-logs-container'] = first;
    if (!('kubectl.kubernetes.io/default-container' in annotations)) out['kubectl.kubernetes.io/default-container'] = first;
  }
  out['sidecar.istio.io/rewriteAppHTTPProbers'] = 'false';
  return {
    labels: {
      'service.istio.io/canonical-name': canonicalName(labels['service.istio.io/canonical-name'] || labels['app.kubernetes.io/name'] || labels.app || ctx.workload.name),
      'service.istio.io/canonical-revision': labels['service.istio.io/canonical-revision'] || labels['app.kubernetes.io/version'] || labels.version || 'latest',
    },
    annotations: out,
    initContainers: undefined,
    containers: [agentContainer(ctx), ...apps],
    volumes,
    imagePullSecrets: ((global.imagePullSecrets ?? []) as string[]).map((name) => ({ name })),
  };
}
