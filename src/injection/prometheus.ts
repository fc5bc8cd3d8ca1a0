/**
 * Prometheus metrics merge: the agent serves the app's and Envoy's metrics together on the status
 * port, so the pod's `prometheus.io/*` annotations are pointed there and the app's own scrape
 * settings travel to the agent in ISTIO_PROMETHEUS_ANNOTATIONS.
 */
import { InjectorError } from '../errors.js';
import { parseGoBool } from './annotations/go-text.js';
import type { RenderContext } from './context.js';
import { goObject, goString } from './probes/go-json.js';
import type { JsonObject, Pod } from './types.js';

/** Istio matches these annotations by their name with every character but [a-zA-Z0-9_] made `_`. */
const SCRAPE = 'prometheus_io_scrape';
const PORT = 'prometheus_io_port';
const PATH = 'prometheus_io_path';
const TARGETS = 'prometheus_istio_io_scrape_targets';
const SANITIZED = new Set([SCRAPE, PORT, PATH, TARGETS]);

/** Ports the agent and Envoy own: scraping them would miss the app or count twice. */
const RESERVED: Record<string, string> = {
  '15000': 'Envoy admin',
  '15001': 'outbound traffic capture',
  '15004': 'pilot debug',
  '15006': 'inbound traffic capture',
  '15008': 'HBONE tunnel',
  '15020': 'pilot-agent status / merged Prometheus',
  '15021': 'Envoy health',
  '15053': 'DNS proxy',
  '15090': 'Envoy Prometheus (already merged)',
};

function sanitized(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * Whether an annotation's sanitized name is one of SANITIZED. Sanitizing maps each character to
 * itself or `_`, so those names (all `prometheus_...`) come only from keys starting with
 * `prometheus`: other keys, most of a pod's, are passed over without the regular expression.
 */
function isScrapeSetting(key: string): boolean {
  return key.startsWith('prometheus') && SANITIZED.has(sanitized(key));
}

/** The value of the first annotation whose sanitized name is `name` (and that `accept`s). */
function annotationNamed(annotations: Record<string, string>, name: string, accept: (value: string) => boolean = () => true): string | undefined {
  for (const key of Object.keys(annotations)) {
    if (key.startsWith('prometheus') && sanitized(key) === name && accept(annotations[key]!)) return annotations[key];
  }
  return undefined;
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function goAtoi(value: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(value) ? Number(value) : undefined;
}

function mergeEnabled(ctx: RenderContext, annotations: Record<string, string>): boolean {
  const annotation = annotations['prometheus.istio.io/merge-metrics'];
  const parsed = annotation === undefined ? undefined : parseGoBool(annotation);
  if (parsed !== undefined) return parsed;
  return ctx.mesh.enablePrometheusMerge !== false;
}

/** `port[:path]` entries, comma-separated; an entry without a path scrapes /metrics. */
function scrapeTargets(raw: string): Array<{ port: string; path: string }> | undefined {
  const targets: Array<{ port: string; path: string }> = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const at = entry.indexOf(':');
    const port = (at < 0 ? entry : entry.slice(0, at)).trim();
    // Istio ignores the whole annotation then (with a warning).
    if (port === '') return undefined;
    const path = at < 0 ? '' : entry.slice(at + 1).trim();
    targets.push({ port, path: path === '' ? '/metrics' : path });
  }
  return targets;
}

/** Refuses a scrape port Istio refuses: not a port number, the agent's own, or one Istio reserves. */
function checkScrapePort(port: string, targetPort: string, what: string): void {
  const number = goAtoi(port);
  if (number === undefined || number < 1 || number > 65535) throw new InjectorError('INVALID_ANNOTATION', `invalid prometheus scrape ${what}: invalid ${what === 'targets' ? 'target ' : ''}port ${JSON.stringify(port)}`);
  const canonical = String(number);
  if (canonical === targetPort) throw new InjectorError('INVALID_ANNOTATION', `invalid prometheus scrape ${what}: ${what === 'targets' ? 'target ' : ''}port ${port} conflicts with agent port`);
  const reserved = RESERVED[canonical];
  if (reserved !== undefined) throw new InjectorError('INVALID_ANNOTATION', `invalid prometheus scrape ${what}: ${what === 'targets' ? 'target ' : ''}port ${port} is reserved for Istio (${reserved}) and cannot be scraped`);
}

/**
 * A scrape target as Go encodes it, each distinct one encoded once (`cache`): the record lists
 * every target, and a pod may repeat one tens of thousands of times.
 */
function encodedTarget(cache: Map<string, string>): (target: { port: string; path: string }) => string {
  return ({ port, path }) => {
    const key = `${port}\u0000${path}`;
    let encoded = cache.get(key);
    if (encoded === undefined) {
      encoded = goObject([['port', goString(port)], ['path', goString(path)]]);
      cache.set(key, encoded);
    }
    return encoded;
  };
}

/**
 * Applies the merge to the rendered pod, in place, as Istio's post-processing does: the app's
 * scrape settings (with `prometheus.istio.io/scrape-targets`, its first target's) go to the agent
 * in ISTIO_PROMETHEUS_ANNOTATIONS and the annotations are pointed at the agent. Scrape ports that
 * are not port numbers, or are the agent's or Envoy's own, are refused.
 */
export function applyPrometheusMerge(pod: Pod, ctx: RenderContext, proxy: JsonObject | undefined): void {
  const annotations = pod.metadata!.annotations!;
  const scrape = annotationNamed(annotations, SCRAPE, (v) => parseGoBool(v) !== undefined);
  if ((scrape !== undefined && !parseGoBool(scrape)) || !mergeEnabled(ctx, annotations)) return;
  const targetPort = String(ctx.meshStatusPort);
  if (annotationNamed(annotations, PORT) === targetPort) return;

  const original = { scrape: annotationNamed(annotations, SCRAPE) ?? '', path: annotationNamed(annotations, PATH) ?? '', port: annotationNamed(annotations, PORT) ?? '' };
  const rawTargets = annotationNamed(annotations, TARGETS);
  const targets = rawTargets === undefined ? undefined : scrapeTargets(rawTargets);
  const withTargets = targets !== undefined && targets.length > 0;
  if (withTargets) {
    original.port = targets[0]!.port;
    original.path = targets[0]!.path;
    // Each port once: a pod may repeat one tens of thousands of times.
    for (const port of new Set(targets.map((t) => t.port))) checkScrapePort(port, targetPort, 'targets');
  } else if (original.port !== '') {
    checkScrapePort(original.port, targetPort, 'configuration');
  }
  if (proxy !== undefined && (original.scrape !== '' || original.path !== '' || original.port !== '' || withTargets)) {
    const encoded = goObject([
      ['scrape', goString(original.scrape)],
      ['path', goString(original.path)],
      ['port', goString(original.port)],
      ['targets', withTargets ? `[${targets.map(encodedTarget(new Map())).join(',')}]` : undefined],
    ]);
    // Istio appends; one left by an earlier injection (a re-injection) is replaced instead.
    proxy.env = [...((proxy.env ?? []) as JsonObject[]).filter((e) => e.name !== 'ISTIO_PROMETHEUS_ANNOTATIONS'), { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: encoded }];
  }
  for (const key of Object.keys(annotations)) if (isScrapeSetting(key)) delete annotations[key];
  annotations['prometheus.io/port'] = targetPort;
  annotations['prometheus.io/path'] = '/stats/prometheus';
  annotations['prometheus.io/scrape'] = 'true';
}

type Recorded = { scrape?: string; path?: string; port?: string; targets?: Array<{ port: string; path?: string }> };

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

/** The record written by {@link applyPrometheusMerge}, or undefined when the value is not one (tampered with). */
function readRecord(recorded: string): Recorded | undefined {
  let value: unknown;
  try {
    value = JSON.parse(recorded);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (!optionalString(record.scrape) || !optionalString(record.path) || !optionalString(record.port)) return undefined;
  const targets = record.targets;
  if (targets !== undefined && !(Array.isArray(targets) && targets.every((t) => typeof t === 'object' && t !== null && typeof t.port === 'string' && optionalString(t.path)))) return undefined;
  return record as Recorded;
}

/**
 * Puts back the app's own scrape annotations that an earlier merge recorded, before a re-injection.
 * False when the record cannot be read: Istio never reads it back, so it is left alone.
 */
export function restorePrometheusAnnotations(annotations: Record<string, string>, recorded: string): boolean {
  const original = readRecord(recorded);
  if (original === undefined) return false;
  for (const key of ['scrape', 'path', 'port'] as const) {
    const value = original[key];
    // An empty value records an annotation the app did not set.
    if (value === undefined || value === '') delete annotations[`prometheus.io/${key}`];
    else annotations[`prometheus.io/${key}`] = value;
  }
  if (original.targets !== undefined && original.targets.length > 0) {
    // The first target also set the path and port recorded: the merge sets them so again.
    annotations['prometheus.istio.io/scrape-targets'] = original.targets.map((t) => (t.path === undefined ? t.port : `${t.port}:${t.path}`)).join(',');
  }
  return true;
}
