/**
 * The `sidecar` template: what Istio's injection template renders for a pod, written as typed
 * code. It returns a fragment (labels, annotations, init containers, containers, volumes, pull
 * secrets) that `merge.ts` lays over the pod.
 */
import { InjectorError } from '../../errors.js';
import { goQuantityString } from '../go-quantity.js';
import { annotationOr, canonicalName } from '../meta.js';
import type { RenderContext } from '../context.js';
import { proxyConfigJson } from '../proxy-config.js';
import { readUserJsonMap } from '../user-volumes.js';
import { agentArgs, networkEnv, bootstrapOverrideVolumes, caCertVolumes, mtlsCertsVolumes, podInfoAndTokenVolumes, workloadCertsVolume } from './shared.js';
import type { JsonObject } from '../types.js';
import { constantJson, jsonString, withConstantParts } from '../../patch/json-text.js';
import { jsonEqual, setOwn } from '../../patch/equal.js';

/** What a template contributes to a pod. */
export interface Fragment {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `undefined` leaves the pod's init containers alone; `[]` is the template's explicit empty list. */
  initContainers: JsonObject[] | undefined;
  containers: JsonObject[];
  volumes: JsonObject[];
  imagePullSecrets: JsonObject[];
  /** The pod-level security context, when the template sets one. */
  securityContext?: JsonObject;
}

const PROXY_RESOURCE_ANNOTATIONS = {
  requests: { cpu: 'sidecar.istio.io/proxyCPU', memory: 'sidecar.istio.io/proxyMemory' },
  limits: { cpu: 'sidecar.istio.io/proxyCPULimit', memory: 'sidecar.istio.io/proxyMemoryLimit' },
} as const;

const PROXY_RESOURCE_KEYS = Object.values(PROXY_RESOURCE_ANNOTATIONS).flatMap((group) => Object.values(group));

/** Proxy resources: the resource annotations when any is set, else the values (null entries dropped). */
export function proxyResources(ctx: RenderContext): JsonObject {
  const out: JsonObject = {};
  if (PROXY_RESOURCE_KEYS.some((key) => key in ctx.annotations)) {
    for (const [section, group] of Object.entries(PROXY_RESOURCE_ANNOTATIONS)) {
      const entries = Object.entries(group).filter(([, key]) => key in ctx.annotations);
      if (entries.length > 0) out[section] = Object.fromEntries(entries.map(([name, key]) => [name, goQuantityString(ctx.annotations[key]!)]));
    }
    return out;
  }
  return configConstant(ctx, 'proxy-resources', () => resourcesFromValues(ctx));
}

function resourcesFromValues(ctx: RenderContext): JsonObject {
  const out: JsonObject = {};
  const configured = ctx.values.global.proxy.resources ?? {};
  for (const section of ['limits', 'requests']) {
    const quantities: Record<string, unknown> = configured[section] ?? {};
    let kept: JsonObject | undefined;
    for (const name of Object.keys(quantities)) {
      const q = quantities[name];
      if (q !== null && q !== undefined) setOwn((kept ??= {}), name, goQuantityString(q as string));
    }
    if (kept !== undefined) out[section] = kept;
  }
  return out;
}

/** Istio's `excludeInboundPort`: adds the status port to the excluded inbound ports. */
export function excludeInboundPorts(statusPort: string, excluded: string): string {
  const port = statusPort.trim();
  if (port === '' || port === '0') return excluded;
  const ports = excluded.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (ports.includes(port)) return ports.join(',');
  return [...ports, port].join(',');
}

export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function sortedEnv(map: Record<string, unknown> | undefined): JsonObject[] {
  // A value read from an annotation may be anything JSON: only a map (or a list, by index, as Go's
  // range reads it) gives variables.
  if (typeof map !== 'object' || map === null) return [];
  return Object.keys(map)
    .sort()
    .map((name) => ({ name, value: String(map![name]) }));
}

/**
 * Variables kept by name, each with the one detail that varies (a field path, a resource, a
 * value): frozen and their JSON text kept (see patch/json-text.ts), and handed out again for the
 * same name and detail. The first detail asked for a name is the one kept; another gets a
 * variable of its own.
 */
type KeptVariables = Map<string, { detail: string; variable: JsonObject }>;

function keptVariable(store: KeptVariables, name: string, detail: string, make: (name: string, detail: string) => JsonObject): JsonObject {
  const kept = store.get(name);
  if (kept !== undefined && kept.detail === detail) return kept.variable;
  const variable = constantJson(make(name, detail));
  if (kept === undefined) store.set(name, { detail, variable });
  return variable;
}

const fieldVariable = (name: string, fieldPath: string): JsonObject => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const resourceVariable = (name: string, resource: string): JsonObject => ({ name, valueFrom: { resourceFieldRef: { divisor: '1', resource } } });
const valueVariable = (name: string, value: string): JsonObject => ({ name, value });

/** Variables read from the pod's own fields: the same for every pod (the templates ask for a handful). */
const fieldVariables: KeptVariables = new Map();
const resourceVariables: KeptVariables = new Map();

export function fieldEnv(name: string, fieldPath: string): JsonObject {
  return keptVariable(fieldVariables, name, fieldPath, fieldVariable);
}

export function resourceEnv(name: string, resource: string): JsonObject {
  return keptVariable(resourceVariables, name, resource, resourceVariable);
}

/** PROXY_CONFIG of the configuration's own (frozen) proxy config, which pods without an annotation share. */
const proxyConfigVariables = new WeakMap<object, JsonObject>();

function proxyConfigEnv(ctx: RenderContext): JsonObject {
  const config = ctx.proxyConfig;
  const value = proxyConfigJson(config);
  if (!Object.isFrozen(config)) return { name: 'PROXY_CONFIG', value };
  let variable = proxyConfigVariables.get(config);
  if (variable === undefined || variable.value !== value) {
    variable = constantJson({ name: 'PROXY_CONFIG', value });
    proxyConfigVariables.set(config, variable);
  }
  return variable;
}

/**
 * Variables whose value comes from the configuration, the webhook's URL or a setting with few
 * values (never a name of the pod's): one per name and configuration, shared by its pods like the
 * other constant parts (see {@link configConstant}), and used only for a pod whose value is the
 * one kept. A pod with another value gets a variable of its own.
 */
function configEnv(ctx: RenderContext, name: string, value: string): JsonObject {
  const parts = partsOf(ctx);
  let variables = parts.get('variables') as KeptVariables | undefined;
  if (variables === undefined) {
    variables = new Map();
    parts.set('variables', variables);
  }
  return keptVariable(variables, name, value, valueVariable);
}

const PORT_FIELDS = ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP'] as const;

/** JSON.stringify of a port's field: numbers and plain strings written directly (on every review). */
function fieldJson(value: unknown): string {
  if (typeof value === 'string') return jsonString(value);
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** Go's json encoding of a ContainerPort (field order, omitempty), written as JSON.stringify writes each value. */
function portJson(port: JsonObject): string {
  let out = '';
  for (const key of PORT_FIELDS) {
    const value: unknown = port[key];
    if (truthy(value)) out += `${out === '' ? '' : ','}"${key}":${fieldJson(value)}`;
  }
  return `{${out}}`;
}

/** ISTIO_META_POD_PORTS in the template's exact layout: one port per line, a comma leading all but the first. */
export function podPortsJson(containers: JsonObject[]): string {
  let out = '[';
  let count = 0;
  for (const container of containers) {
    const ports = (container.ports ?? []) as JsonObject[];
    if (!Array.isArray(ports)) throw new TypeError('container ports are not a list');
    for (const port of ports) out += `\n    ${count++ === 0 ? '' : ','}${portJson(port)}`;
  }
  return `${out}\n]`;
}

function interceptionArgs(ctx: RenderContext): string[] {
  const a = ctx.annotations;
  const proxy = ctx.values.global.proxy;
  const excluded = excludeInboundPorts(ctx.statusPort, annotationOr(a, 'traffic.sidecar.istio.io/excludeInboundPorts', proxy.excludeInboundPorts));
  const args = [
    'istio-iptables',
    '-p', String(ctx.mesh.proxyListenPort || '15001'),
    '-z', String(ctx.mesh.proxyInboundListenPort || '15006'),
    // The user's istio-proxy runAsUser, unless 0: iptables' --uid-owner must not be root.
    '-u', String(ctx.proxyUID || '1337'),
    '-m', ctx.interceptionMode,
    '-i', annotationOr(a, 'traffic.sidecar.istio.io/includeOutboundIPRanges', proxy.includeIPRanges),
    '-x', annotationOr(a, 'traffic.sidecar.istio.io/excludeOutboundIPRanges', proxy.excludeIPRanges),
    '-b', annotationOr(a, 'traffic.sidecar.istio.io/includeInboundPorts', proxy.includeInboundPorts),
    '-d', excluded === '' ? '15090,15021' : `15090,15021,${excluded}`,
  ];
  if ('traffic.sidecar.istio.io/includeOutboundPorts' in a || String(proxy.includeOutboundPorts ?? '') !== '') {
    args.push('-q', annotationOr(a, 'traffic.sidecar.istio.io/includeOutboundPorts', proxy.includeOutboundPorts));
  }
  if ('traffic.sidecar.istio.io/excludeOutboundPorts' in a || String(proxy.excludeOutboundPorts ?? '') !== '') {
    args.push('-o', annotationOr(a, 'traffic.sidecar.istio.io/excludeOutboundPorts', proxy.excludeOutboundPorts));
  }
  if ('istio.io/reroute-virtual-interfaces' in a) args.push('-k', a['istio.io/reroute-virtual-interfaces']!);
  else if ('traffic.sidecar.istio.io/kubevirtInterfaces' in a) args.push('-k', a['traffic.sidecar.istio.io/kubevirtInterfaces']!);
  if ('traffic.sidecar.istio.io/excludeInterfaces' in a) args.push('-c', a['traffic.sidecar.istio.io/excludeInterfaces']!);
  args.push(`--log_output_level=${annotationOr(a, 'sidecar.istio.io/agentLogLevel', ctx.values.global.logging?.level)}`);
  if (ctx.values.global.logAsJson === true) args.push('--log_as_json');
  if (ctx.cniEnabled) args.push('--run-validation', '--skip-rule-apply');
  else if (ctx.values.global.proxy_init?.forceApplyIptables === true) args.push('--force-apply');
  if (ctx.values.global.nativeNftables === true) args.push('--native-nftables');
  return args;
}

function initContainer(ctx: RenderContext, resources: JsonObject): JsonObject {
  const global = ctx.values.global;
  const customImage = annotationOr(ctx.annotations, 'sidecar.istio.io/proxyImage', global.proxy_init.image);
  const container: JsonObject = {
    name: ctx.cniEnabled ? 'istio-validation' : 'istio-init',
    image: customImage.includes('/') ? customImage : ctx.proxyInitImage,
    args: sharedPart(ctx, 'init-args', interceptionArgs(ctx)),
  };
  if (truthy(global.imagePullPolicy)) container.imagePullPolicy = global.imagePullPolicy;
  const metadataEnv = sortedEnv(ctx.proxyConfig.proxyMetadata);
  if (metadataEnv.length > 0) container.env = metadataEnv;
  container.resources = resources;
  container.securityContext = initSecurityContext(ctx);
  // Written key by key in the answer, its constant parts spliced.
  return withConstantParts(container);
}

/**
 * The init container's security context. Without CNI it depends on the configuration alone, and
 * is shared; with CNI it takes the user's istio-proxy user and group, as Istio adjusts them, unless
 * TPROXY is asked for anywhere (mesh config or annotation).
 */
function initSecurityContext(ctx: RenderContext): JsonObject {
  if (!ctx.cniEnabled) return configConstant(ctx, 'init-security-context', () => makeInitSecurityContext(ctx, 0, 0));
  const user = ctx.tproxyAnywhere ? 1337 : (ctx.proxyUID ?? 1337);
  const group = ctx.tproxyAnywhere ? 1337 : (ctx.proxyGID ?? 1337);
  return user === 1337 && group === 1337 ? configConstant(ctx, 'cni-init-security-context', () => makeInitSecurityContext(ctx, user, group)) : makeInitSecurityContext(ctx, user, group);
}

/** `user` and `group`: those the CNI mode runs as (without CNI the container runs as root). */
function makeInitSecurityContext(ctx: RenderContext, user: number, group: number): JsonObject {
  const global = ctx.values.global;
  const privileged = global.proxy.privileged === true;
  const securityContext: JsonObject = ctx.cniEnabled
    ? {
        allowPrivilegeEscalation: privileged,
        privileged,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsGroup: group,
        runAsUser: user,
        runAsNonRoot: true,
      }
    : {
        allowPrivilegeEscalation: privileged,
        privileged,
        capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
        readOnlyRootFilesystem: false,
        runAsGroup: 0,
        runAsNonRoot: false,
        runAsUser: 0,
      };
  if (truthy(global.proxy.seccompProfile)) securityContext.seccompProfile = global.proxy.seccompProfile;
  return securityContext;
}

/** The agent's first variables, common to every proxy template: CA, pod identity, proxy config, ports. */
export function agentEnv(ctx: RenderContext): JsonObject[] {
  const global = ctx.values.global;
  const revision = String(ctx.values.revision ?? '');
  return [
    configEnv(ctx, 'PILOT_CERT_PROVIDER', String(global.pilotCertProvider)),
    configEnv(ctx, 'CA_ADDR', truthy(global.caAddress) ? String(global.caAddress) : `istiod${revision === '' ? '' : `-${revision}`}.${global.istioNamespace}.svc:15012`),
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('HOST_IP', 'status.hostIP'),
    resourceEnv('ISTIO_CPU_LIMIT', 'limits.cpu'),
    proxyConfigEnv(ctx),
    { name: 'ISTIO_META_POD_PORTS', value: podPortsJson((ctx.pod.spec?.containers ?? []) as JsonObject[]) },
  ];
}

/** COMPLIANCE_POLICY (and the Go runtime switch it needs), when the control plane sets one. */
export function complianceEnv(ctx: RenderContext): JsonObject[] {
  if (ctx.compliancePolicy === '') return [];
  const env = [{ name: 'COMPLIANCE_POLICY', value: ctx.compliancePolicy }];
  if (ctx.compliancePolicy === 'fips-140-3') env.push({ name: 'GODEBUG', value: 'fips140=only' });
  return env;
}

/** ISTIO_META_OWNER, the bootstrap override, mesh ID and trust domain. */
export function ownerAndMeshEnv(ctx: RenderContext): JsonObject[] {
  const { workload, annotations, mesh } = ctx;
  const global = ctx.values.global;
  const env: JsonObject[] = [];
  if (workload.apiVersion !== '' && workload.name !== '') {
    const namespace = workload.namespace || 'default';
    env.push({ name: 'ISTIO_META_OWNER', value: `kubernetes://apis/${workload.apiVersion}/namespaces/${namespace}/${workload.kind.toLowerCase()}s/${workload.name}` });
  }
  if ('sidecar.istio.io/bootstrapOverride' in annotations) {
    env.push({ name: 'ISTIO_BOOTSTRAP_OVERRIDE', value: '/etc/istio/custom-bootstrap/custom_bootstrap.json' });
  }
  const trustDomain = truthy(mesh.trustDomain) ? String(mesh.trustDomain) : truthy(global.trustDomain) ? String(global.trustDomain) : '';
  const meshId = truthy(global.meshID) ? String(global.meshID) : trustDomain;
  if (meshId !== '') env.push(configEnv(ctx, 'ISTIO_META_MESH_ID', meshId));
  if (trustDomain !== '') env.push(configEnv(ctx, 'TRUST_DOMAIN', trustDomain));
  return env;
}

/** Kubernetes writes a variable with an empty value without `value`. */
export function withoutEmptyValues(env: JsonObject[]): JsonObject[] {
  return env.map((e) => (e.value === '' ? { name: e.name } : e));
}

function proxyEnv(ctx: RenderContext): JsonObject[] {
  const { values, mesh, proxyConfig, annotations, labels, workload } = ctx;
  const global = values.global;
  const env: JsonObject[] = [];
  if (String(mesh.inboundTrafficPolicy?.mode ?? '').toLowerCase() === 'localhost') {
    env.push({ name: 'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION', value: 'true' });
  }
  env.push(...agentEnv(ctx), { name: 'ISTIO_META_APP_CONTAINERS', value: ctx.appContainers.join(',') }, resourceEnv('GOMEMLIMIT', 'limits.memory'), ...complianceEnv(ctx));
  env.push(
    configEnv(ctx, 'ISTIO_META_CLUSTER_ID', ctx.clusterId ?? (truthy(global.multiCluster?.clusterName) ? String(global.multiCluster.clusterName) : 'Kubernetes')),
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    configEnv(ctx, 'ISTIO_META_INTERCEPTION_MODE', annotations['sidecar.istio.io/interceptionMode'] || String(proxyConfig.interceptionMode ?? 'REDIRECT')),
  );
  env.push(...networkEnv(ctx));
  const workloadName = labels['service.istio.io/workload-name'] || workload.name;
  if (workloadName !== '') env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: workloadName });
  env.push(...ownerAndMeshEnv(ctx));
  if (global.proxy.tracer === 'datadog' && 'apm.datadoghq.com/env' in annotations) {
    try {
      env.push(...sortedEnv(JSON.parse(annotations['apm.datadoghq.com/env']!)));
    } catch {
      // Istio ignores an unreadable datadog annotation as well.
    }
  }
  const otel = otelResourceAttributes(ctx);
  if (otel !== '') env.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', value: otel });
  env.push(...sortedEnv(proxyConfig.proxyMetadata));
  return withoutEmptyValues(env);
}

/** The tag and the digest of an image reference (`[registry[:port]/]name[:tag][@digest]`). */
function imageTagAndDigest(image: string): { tag: string; digest: string } {
  const at = image.indexOf('@');
  const digest = at < 0 ? '' : image.slice(at + 1);
  const name = at < 0 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  return { tag: colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '', digest };
}

/**
 * OpenTelemetry semantic-convention resource attributes, when a mesh provider asks for them, as
 * Istio computes them: each from its `resource.opentelemetry.io/*` annotation, else the workload's
 * namespace (none when it has none), the `app.kubernetes.io/version` label or the image tag and
 * digest of a pod's only container, and `<namespace>.$(POD_NAME).<first container>`.
 */
function otelResourceAttributes(ctx: RenderContext): string {
  const providers = (ctx.mesh.extensionProviders ?? []) as JsonObject[];
  const wanted = providers.some((p) => p?.opentelemetry?.serviceAttributeEnrichment === 'OTEL_SEMANTIC_CONVENTIONS');
  if (!wanted) return '';
  const a = ctx.annotations;
  const namespace = ctx.workload.namespace;
  const containers = (Array.isArray(ctx.pod.spec?.containers) ? ctx.pod.spec!.containers : []) as JsonObject[];
  const attributes: string[] = [];
  if (a['resource.opentelemetry.io/service.namespace']) attributes.push(`service.namespace=${a['resource.opentelemetry.io/service.namespace']}`);
  else if (namespace !== '') attributes.push(`service.namespace=${namespace}`);
  if (a['resource.opentelemetry.io/service.version']) attributes.push(`service.version=${a['resource.opentelemetry.io/service.version']}`);
  else if (ctx.labels['app.kubernetes.io/version']) attributes.push(`service.version=${ctx.labels['app.kubernetes.io/version']}`);
  else if (containers.length === 1) {
    const { tag, digest } = imageTagAndDigest(String(containers[0]!.image ?? ''));
    const version = tag !== '' && digest !== '' ? `${tag}@${digest}` : digest || tag;
    if (version !== '') attributes.push(`service.version=${version}`);
  }
  if (a['resource.opentelemetry.io/service.instance.id']) attributes.push(`service.instance.id=${a['resource.opentelemetry.io/service.instance.id']}`);
  else if (containers.length > 0) attributes.push(`service.instance.id=${namespace}.$(POD_NAME).${String(containers[0]!.name ?? '')}`);
  return attributes.join(',');
}

/** The proxy's security context, shared by the pods of a configuration that get the same one. */
function proxySecurityContext(ctx: RenderContext): JsonObject {
  const trace = ctx.proxyConfig.proxyMetadata?.IPTABLES_TRACE_LOGGING === 'true';
  return configConstant(ctx, `proxy-security-context ${trace} ${ctx.tproxy} ${ctx.capNetBindService}`, () => makeProxySecurityContext(ctx));
}

function makeProxySecurityContext(ctx: RenderContext): JsonObject {
  const global = ctx.values.global;
  const privileged = global.proxy.privileged === true;
  let sc: JsonObject;
  if (ctx.proxyConfig.proxyMetadata?.IPTABLES_TRACE_LOGGING === 'true') {
    sc = {
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      privileged: true,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: false,
      runAsUser: 0,
    };
  } else {
    const add = [...(ctx.tproxy ? ['NET_ADMIN'] : []), ...(ctx.capNetBindService ? ['NET_BIND_SERVICE'] : [])];
    const root = ctx.tproxy || ctx.capNetBindService;
    sc = {
      allowPrivilegeEscalation: privileged,
      capabilities: add.length > 0 ? { add, drop: ['ALL'] } : { drop: ['ALL'] },
      privileged,
      readOnlyRootFilesystem: true,
      // The user's own istio-proxy settings are laid over this afterwards.
      ...(root ? { runAsNonRoot: false, runAsUser: 0, runAsGroup: 1337 } : { runAsNonRoot: true, runAsUser: 1337, runAsGroup: 1337 }),
    };
  }
  if (truthy(global.proxy.seccompProfile)) sc.seccompProfile = global.proxy.seccompProfile;
  return sc;
}

export function intOf(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * A readiness setting of the proxy's probe. Istio writes it unquoted into its template's YAML,
 * which it reads as YAML 1.1 (`010` is octal, 8), into a 32-bit field: a larger value makes
 * Istio's injection fail, and is refused here.
 */
export function readinessSetting(ctx: RenderContext, annotation: string, fallback: unknown): number | string {
  const raw = annotationOr(ctx.annotations, annotation, fallback);
  const value = /^0[0-7]+$/.test(raw) ? parseInt(raw, 8) : intOf(raw);
  if (typeof value === 'number' && value > INT32_MAX) {
    const from = annotation in ctx.annotations ? `annotation '${annotation}'` : 'the values';
    throw new InjectorError('INVALID_ANNOTATION', `invalid value '${raw}' for ${from}: the proxy's readiness probe takes at most ${INT32_MAX}`);
  }
  return value;
}

function proxyContainer(ctx: RenderContext, resources: JsonObject): JsonObject {
  const { values, annotations } = ctx;
  const global = values.global;
  const proxy = global.proxy;
  const customImage = annotationOr(annotations, 'sidecar.istio.io/proxyImage', proxy.image);
  const args = agentArgs(ctx, 'sidecar');
  if (truthy(proxy.outlierLogPath)) args.push(`--outlierLogPath=${proxy.outlierLogPath}`);

  const container: JsonObject = {
    name: 'istio-proxy',
    image: customImage.includes('/') ? customImage : ctx.proxyImage,
  };
  if (ctx.nativeSidecar) container.restartPolicy = 'Always';
  container.ports = configConstant(ctx, 'proxy-ports', () => [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }]);
  container.args = sharedPart(ctx, 'proxy-args', args);
  const holdProxy = (ctx.proxyConfig.holdApplicationUntilProxyStarts === true || proxy.holdApplicationUntilProxyStarts === true) && !ctx.nativeSidecar;
  if (truthy(proxy.lifecycle)) container.lifecycle = proxy.lifecycle;
  else if (holdProxy) container.lifecycle = { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  else if (ctx.nativeSidecar) {
    container.lifecycle = { preStop: { exec: { command: ['pilot-agent', 'request', `--debug-port=${ctx.statusPort}`, 'POST', 'drain'] } } };
  }
  // Written item by item in the answer, its constant variables spliced.
  container.env = withConstantParts(proxyEnv(ctx));
  if (truthy(global.imagePullPolicy)) container.imagePullPolicy = global.imagePullPolicy;
  if (ctx.statusPort !== '0') {
    if (proxy.startupProbe?.enabled === true) {
      container.startupProbe = configConstant(ctx, 'proxy-startup-probe', () => ({
        httpGet: { path: '/healthz/ready', port: 15021 },
        periodSeconds: 1,
        timeoutSeconds: 3,
        failureThreshold: proxy.startupProbe.failureThreshold,
      }));
    }
    const readiness: JsonObject = { httpGet: { path: '/healthz/ready', port: 15021 } };
    const delay = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/initialDelaySeconds', proxy.readinessInitialDelaySeconds);
    if (delay !== 0) readiness.initialDelaySeconds = delay;
    readiness.periodSeconds = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/periodSeconds', proxy.readinessPeriodSeconds);
    readiness.timeoutSeconds = 3;
    readiness.failureThreshold = readinessSetting(ctx, 'readiness.status.sidecar.istio.io/failureThreshold', proxy.readinessFailureThreshold);
    container.readinessProbe = sharedPart(ctx, 'proxy-readiness-probe', readiness);
  }
  container.securityContext = proxySecurityContext(ctx);
  container.resources = resources;
  // The mounts depend on the pod only through these two annotations.
  const ownMounts = 'sidecar.istio.io/bootstrapOverride' in ctx.annotations || 'sidecar.istio.io/userVolumeMount' in ctx.annotations;
  container.volumeMounts = ownMounts ? proxyMounts(ctx) : configConstant(ctx, 'proxy-mounts', () => proxyMounts(ctx));
  // Written key by key in the answer, its constant parts spliced.
  return withConstantParts(container);
}

export function userJsonMap(ctx: RenderContext, key: string): Array<[string, JsonObject]> {
  const raw = ctx.annotations[key];
  return raw === undefined ? [] : readUserJsonMap(raw, key);
}

export function proxyMounts(ctx: RenderContext): JsonObject[] {
  const global = ctx.values.global;
  const mounts: JsonObject[] = [
    { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
    { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
    global.caName === 'GkeWorkloadCertificate'
      ? { name: 'gke-workload-certificate', mountPath: '/var/run/secrets/workload-spiffe-credentials', readOnly: true }
      : { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
  ];
  if (global.pilotCertProvider === 'istiod') {
    mounts.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' }, { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' });
  }
  mounts.push({ mountPath: '/var/lib/istio/data', name: 'istio-data' });
  if ('sidecar.istio.io/bootstrapOverride' in ctx.annotations) mounts.push({ mountPath: '/etc/istio/custom-bootstrap', name: 'custom-bootstrap-volume' });
  mounts.push({ mountPath: '/etc/istio/proxy', name: 'istio-envoy' }, { mountPath: '/var/run/secrets/tokens', name: 'istio-token' });
  if (global.mountMtlsCerts === true) mounts.push({ mountPath: '/etc/certs/', name: 'istio-certs', readOnly: true });
  mounts.push({ name: 'istio-podinfo', mountPath: '/etc/istio/pod' });
  for (const [name, mount] of userJsonMap(ctx, 'sidecar.istio.io/userVolumeMount')) mounts.push({ name, ...mount });
  return mounts;
}

/**
 * Parts of the sidecar that depend on the configuration alone, made once per configuration (its
 * values object: configurations are immutable, and one reloaded at run time is a new object) and
 * shared, frozen, by every pod rendered with it, their JSON text kept (see patch/json-text.ts).
 */
const configParts = new WeakMap<object, Map<string, object>>();
const MAX_CONFIG_PARTS = 256;

function partsOf(ctx: RenderContext): Map<string, object> {
  let parts = configParts.get(ctx.values);
  if (parts === undefined) {
    parts = new Map();
    configParts.set(ctx.values, parts);
  }
  return parts;
}

function configConstant<T extends object>(ctx: RenderContext, key: string, make: () => T): T {
  const parts = partsOf(ctx);
  let part = parts.get(key) as T | undefined;
  if (part === undefined) {
    part = constantJson(make());
    // The keys are a fixed few (some name a combination of settings); bounded all the same: beyond
    // the bound a part is made for the pod alone, as correct, only slower.
    if (parts.size < MAX_CONFIG_PARTS) parts.set(key, part);
  }
  return part;
}

/**
 * `value`, or the equal value an earlier pod of the configuration had (frozen, its JSON text kept,
 * see {@link configConstant}): for parts that depend on the pod only through annotations most
 * pods leave unset (the proxy's arguments and readiness probe, the init container's arguments).
 * One value is kept per slot, the latest that differed from the one kept before; `value` is frozen
 * when it is kept, so it must be complete when given.
 */
function sharedPart<T extends object>(ctx: RenderContext, slot: string, value: T): T {
  const parts = partsOf(ctx);
  const kept = parts.get(slot);
  if (kept !== undefined && jsonEqual(kept, value)) return kept as T;
  parts.set(slot, constantJson(value));
  return value;
}

export function volumes(ctx: RenderContext): JsonObject[] {
  const { values } = ctx;
  const first = configConstant(ctx, 'volumes-first', () => [{ name: 'workload-socket' }, { name: 'credential-socket' }, workloadCertsVolume(ctx, false)]);
  const then = configConstant(ctx, 'volumes-then', () => [
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { name: 'istio-data', emptyDir: {} },
    ...podInfoAndTokenVolumes(ctx),
    ...caCertVolumes(ctx),
    { name: 'istio-ca-crl', configMap: { name: truthy(values.pilot?.crlConfigMapName) ? values.pilot.crlConfigMapName : 'istio-ca-crl', optional: true } },
  ]);
  return [
    ...first,
    ...bootstrapOverrideVolumes(ctx),
    ...then,
    ...mtlsCertsVolumes(ctx),
    ...userJsonMap(ctx, 'sidecar.istio.io/userVolume').map(([name, volume]) => ({ name, ...volume })),
  ];
}

function metadata(ctx: RenderContext): { labels: Record<string, string>; annotations: Record<string, string> } {
  const { labels, annotations, values } = ctx;
  const outLabels: Record<string, string> = { 'security.istio.io/tlsMode': labels['security.istio.io/tlsMode'] || 'istio' };
  if (ctx.proxyConfig.proxyMetadata?.ISTIO_META_ENABLE_HBONE === 'true') outLabels['networking.istio.io/tunnel'] = labels['networking.istio.io/tunnel'] || 'http';
  outLabels['service.istio.io/canonical-name'] = canonicalName(
    labels['service.istio.io/canonical-name'] || labels['app.kubernetes.io/name'] || labels.app || ctx.workload.name,
  );
  outLabels['service.istio.io/canonical-revision'] = labels['service.istio.io/canonical-revision'] || labels['app.kubernetes.io/version'] || labels.version || 'latest';

  const out: Record<string, string> = { 'istio.io/rev': ctx.revision || 'default' };
  const first = ctx.appContainers[0];
  if (first !== undefined) {
    if (!('kubectl.kubernetes.io/default-logs-container' in annotations)) out['kubectl.kubernetes.io/default-logs-container'] = first;
    if (!('kubectl.kubernetes.io/default-container' in annotations)) out['kubectl.kubernetes.io/default-container'] = first;
  }
  if (ctx.cniEnabled) {
    const proxy = values.global.proxy;
    if (values.pilot.cni.provider === 'multus') out['k8s.v1.cni.cncf.io/networks'] = appendMultusNetwork(annotations['k8s.v1.cni.cncf.io/networks'] ?? '', 'default/istio-cni');
    out['sidecar.istio.io/interceptionMode'] = ctx.interceptionMode;
    const include = annotationOr(annotations, 'traffic.sidecar.istio.io/includeOutboundIPRanges', proxy.includeIPRanges);
    if (include !== '') out['traffic.sidecar.istio.io/includeOutboundIPRanges'] = include;
    const exclude = annotationOr(annotations, 'traffic.sidecar.istio.io/excludeOutboundIPRanges', proxy.excludeIPRanges);
    if (exclude !== '') out['traffic.sidecar.istio.io/excludeOutboundIPRanges'] = exclude;
    out['traffic.sidecar.istio.io/includeInboundPorts'] = annotationOr(annotations, 'traffic.sidecar.istio.io/includeInboundPorts', proxy.includeInboundPorts);
    out['traffic.sidecar.istio.io/excludeInboundPorts'] = excludeInboundPorts(ctx.statusPort, annotationOr(annotations, 'traffic.sidecar.istio.io/excludeInboundPorts', proxy.excludeInboundPorts));
    if ('traffic.sidecar.istio.io/includeOutboundPorts' in annotations || String(proxy.includeOutboundPorts ?? '') !== '') {
      out['traffic.sidecar.istio.io/includeOutboundPorts'] = annotationOr(annotations, 'traffic.sidecar.istio.io/includeOutboundPorts', proxy.includeOutboundPorts);
    }
    if ('traffic.sidecar.istio.io/excludeOutboundPorts' in annotations || String(proxy.excludeOutboundPorts ?? '') !== '') {
      out['traffic.sidecar.istio.io/excludeOutboundPorts'] = annotationOr(annotations, 'traffic.sidecar.istio.io/excludeOutboundPorts', proxy.excludeOutboundPorts);
    }
    for (const key of ['traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces', 'traffic.sidecar.istio.io/excludeInterfaces']) {
      if (truthy(annotations[key])) out[key] = annotations[key]!;
    }
  }
  return { labels: outLabels, annotations: out };
}

/**
 * Adds a network to multus' annotation, which is either a comma list or a JSON list; the user's
 * text is kept as written and the new entry appended in the same style.
 */
export function appendMultusNetwork(existing: string, network: string): string {
  const trimmed = existing.trim();
  if (trimmed === '') return network;
  const [namespace, name] = network.split('/');
  if (trimmed.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(trimmed);
      // Entries that are not objects (`[null]`) name no network.
      if (Array.isArray(list) && list.some((n) => typeof n === 'object' && n !== null && n.name === name && (n.namespace ?? '') === namespace)) return existing;
    } catch {
      return existing;
    }
    const body = trimmed.slice(0, trimmed.lastIndexOf(']')).trimEnd();
    const separator = body === '[' ? '' : ', ';
    return `${body}${separator}{"name": "${name}", "namespace": "${namespace}"}]`;
  }
  const names = trimmed.split(',').map((n) => n.trim());
  return names.includes(network) ? existing : `${trimmed}, ${network}`;
}

/** Renders the sidecar template for the pod in `ctx`. */
export function sidecarTemplate(ctx: RenderContext): Fragment {
  const resources = proxyResources(ctx);
  const { labels, annotations } = metadata(ctx);
  const noInitContainer = ctx.interceptionMode === 'NONE' && !ctx.nativeSidecar;
  const init = ctx.interceptionMode !== 'NONE' ? [initContainer(ctx, resources)] : [];
  const proxy = proxyContainer(ctx, resources);
  const pullSecrets = ((ctx.values.global.imagePullSecrets ?? []) as string[]).map((name) => ({ name }));
  return {
    labels,
    annotations,
    initContainers: noInitContainer ? [] : ctx.nativeSidecar ? [...init, proxy] : init,
    containers: ctx.nativeSidecar ? [] : [proxy],
    volumes: volumes(ctx),
    imagePullSecrets: pullSecrets,
  };
}
