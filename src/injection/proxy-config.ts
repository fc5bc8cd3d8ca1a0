/**
 * The proxy config a pod gets: the mesh `defaultConfig` with the pod's `proxy.istio.io/config`
 * annotation over it (field by field), and its PROXY_CONFIG rendering: the JSON of the fields
 * that differ from Istio's defaults, in the proto's field order, as Istio's agent reads it.
 */
import { defaultProxyConfig } from '../config/defaults.js';
import { InjectorError } from '../errors.js';
import { jsonEqual, setOwn } from '../patch/equal.js';
import { parseYamlAnnotation } from './annotations/yaml-value.js';
import { parseGoYaml, toJsonValue } from './go-yaml.js';
import { normalizeProxyConfig, protoDuration } from './proxy-config-check.js';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/** ProxyConfig fields in declaration order (istio.mesh.v1alpha1.ProxyConfig). */
const FIELD_ORDER = [
  'configPath', 'binaryPath', 'serviceCluster', 'tracingServiceName', 'drainDuration', 'parentShutdownDuration',
  'discoveryAddress', 'discoveryRefreshDelay', 'zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress',
  'proxyAdminPort', 'availabilityZone', 'controlPlaneAuthPolicy', 'customConfigFile', 'statNameLength', 'concurrency',
  'proxyBootstrapTemplatePath', 'interceptionMode', 'tracing', 'sds', 'envoyAccessLogService', 'envoyMetricsService',
  'proxyMetadata', 'runtimeValues', 'statusPort', 'extraStatTags', 'gatewayTopology', 'terminationDrainDuration',
  'meshId', 'readinessProbe', 'proxyStatsMatcher', 'holdApplicationUntilProxyStarts', 'caCertificatesPem', 'image',
  'privateKeyProvider', 'proxyHeaders', 'fileFlushInterval', 'fileFlushMinSizeKb', 'statsCompression', 'connectionSettings',
];
const DURATION_FIELDS = new Set(['drainDuration', 'parentShutdownDuration', 'discoveryRefreshDelay', 'terminationDrainDuration', 'fileFlushInterval']);

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pod's proxy config: mesh defaults, then the annotation's fields replacing them. */
export function effectiveProxyConfig(meshDefault: Record<string, any>, annotations: Record<string, string>): Record<string, any> {
  const raw = annotations[PROXY_CONFIG_ANNOTATION];
  if (raw === undefined) return meshDefault;
  let overlay: unknown;
  try {
    parseYamlAnnotation(raw);
    // The values as Istio reads them (go-yaml: `y` and `on` are true).
    overlay = toJsonValue(parseGoYaml(raw));
    if (isMap(overlay)) overlay = normalizeProxyConfig(overlay);
  } catch (err) {
    throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation '${PROXY_CONFIG_ANNOTATION}': not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (overlay === null || overlay === undefined) return meshDefault;
  if (!isMap(overlay)) throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation '${PROXY_CONFIG_ANNOTATION}': expected a ProxyConfig map`);
  // Istio retries an unreadable ProxyConfig with unknown fields allowed, so they are ignored.
  const known = Object.fromEntries(Object.entries(overlay).filter(([key]) => FIELD_ORDER.includes(key)));
  const merged = { ...meshDefault, ...known };
  if (isMap(overlay.proxyMetadata)) merged.proxyMetadata = { ...meshDefault.proxyMetadata, ...overlay.proxyMetadata };
  return merged;
}

/**
 * PROXY_CONFIG of the configuration's own (deep-frozen) proxy configs, which every pod without a
 * `proxy.istio.io/config` annotation shares: computed once per configuration, not per pod.
 */
const frozenProxyConfigJson = new WeakMap<object, string>();

/** PROXY_CONFIG: fields that differ from Istio's defaults, proto order, one trailing newline. */
export function proxyConfigJson(config: Record<string, any>): string {
  if (!Object.isFrozen(config)) return renderProxyConfigJson(config);
  let json = frozenProxyConfigJson.get(config);
  if (json === undefined) {
    json = renderProxyConfigJson(config);
    if (isDeepFrozen(config)) frozenProxyConfigJson.set(config, json);
  }
  return json;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

function renderProxyConfigJson(config: Record<string, any>): string {
  const defaults = defaultProxyConfig();
  const out: Record<string, unknown> = {};
  const keys = [...FIELD_ORDER, ...Object.keys(config).filter((k) => !FIELD_ORDER.includes(k)).sort()];
  for (const key of keys) {
    let value = config[key];
    if (value === undefined || value === null) continue;
    if (DURATION_FIELDS.has(key) && typeof value === 'string') value = protoDuration(value);
    if ((key === 'proxyMetadata' || key === 'runtimeValues') && isMap(value)) {
      if (Object.keys(value).length === 0) continue;
      // Protobuf JSON writes map entries sorted by key.
      value = Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
    }
    const fallback = defaults[key];
    if (fallback !== undefined && jsonEqual(DURATION_FIELDS.has(key) ? protoDuration(String(fallback)) : fallback, value)) continue;
    setOwn(out, key, value);
  }
  return `${JSON.stringify(out)}\n`;
}
