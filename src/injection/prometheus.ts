/**
 * Prometheus metrics merge: the agent serves the app's and Envoy's metrics together on the status
 * port, so the pod's `prometheus.io/*` annotations are pointed there and the app's own scrape
 * settings travel to the agent in ISTIO_PROMETHEUS_ANNOTATIONS.
 */
import type { RenderContext } from './context.js';
import type { JsonObject, Pod } from './types.js';

function mergeEnabled(ctx: RenderContext, annotations: Record<string, string>): boolean {
  const annotation = annotations['prometheus.istio.io/merge-metrics'];
  if (annotation !== undefined && annotation !== '') return annotation.toLowerCase() === 'true';
  return ctx.mesh.enablePrometheusMerge !== false;
}

/** Applies the merge to the rendered pod, in place. */
export function applyPrometheusMerge(pod: Pod, ctx: RenderContext, proxy: JsonObject | undefined): void {
  const annotations = pod.metadata!.annotations!;
  const scrape = annotations['prometheus.io/scrape'] ?? annotations['prometheus.io.scrape'];
  if (scrape === 'false' || !mergeEnabled(ctx, annotations)) return;
  const targetPort = String(ctx.meshStatusPort);
  if (annotations['prometheus.io/port'] === targetPort) return;

  const targets = (annotations['prometheus.istio.io/scrape-targets'] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t) => {
      const at = t.indexOf(':');
      return at < 0 ? { port: t } : { port: t.slice(0, at), path: t.slice(at + 1) };
    });
  const original: JsonObject = {};
  if (scrape) original.scrape = scrape;
  const path = annotations['prometheus.io/path'] || targets[0]?.path;
  const port = annotations['prometheus.io/port'] || targets[0]?.port;
  if (path) original.path = path;
  if (port) original.port = port;
  if (targets.length > 0) original.targets = targets;
  if (proxy !== undefined && Object.keys(original).length > 0) {
    proxy.env = [...((proxy.env ?? []) as JsonObject[]).filter((e) => e.name !== 'ISTIO_PROMETHEUS_ANNOTATIONS'), { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(original) }];
  }
  delete annotations['prometheus.istio.io/scrape-targets'];
  annotations['prometheus.io/port'] = targetPort;
  annotations['prometheus.io/path'] = '/stats/prometheus';
  annotations['prometheus.io/scrape'] = 'true';
}

/** Puts back the app's own scrape annotations that an earlier merge recorded, before a re-injection. */
export function restorePrometheusAnnotations(annotations: Record<string, string>, recorded: string): void {
  let original: { scrape?: string; path?: string; port?: string; targets?: Array<{ port: string; path?: string }> };
  try {
    original = JSON.parse(recorded);
  } catch {
    return;
  }
  for (const key of ['scrape', 'path', 'port'] as const) {
    const value = original[key];
    if (value === undefined) delete annotations[`prometheus.io/${key}`];
    else annotations[`prometheus.io/${key}`] = value;
  }
  if (original.targets !== undefined && original.targets.length > 0) {
    // The first target also filled in path and port when the app set none.
    annotations['prometheus.istio.io/scrape-targets'] = original.targets.map((t) => (t.path === undefined ? t.port : `${t.port}:${t.path}`)).join(',');
  }
}
