/**
 * App probe rewriting. With mTLS the kubelet cannot reach the app's probes, so the HTTP, TCP and
 * gRPC liveness, readiness and startup probes and the HTTP/TCP lifecycle hooks of the app
 * containers are pointed at the agent's status port (`/app-health/<container>/livez|readyz|startupz`,
 * `/app-lifecycle/<container>/prestopz|poststartz`). The agent learns the original handlers from
 * the proxy's ISTIO_KUBE_APP_PROBERS, which `appProbersJson` computes as Istio does.
 */
import type { JsonObject, Pod } from '../types.js';
import { parseGoBool } from '../annotations/go-text.js';
import { readProbers } from '../previous-injection.js';
import { goMap } from './go-json.js';
import { HOOKS, PROBES, handlerOf, proberJson, proberUrl, resolvePorts, type Prober } from './prober.js';

export { proberUrl } from './prober.js';

export const REWRITE_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';
export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
export const PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';
const PROXY = 'istio-proxy';

/** Settings besides the pod and the status port. */
export interface ProbeOptions {
  /** `sidecarInjectorWebhook.rewriteAppHTTPProbe` of the values (default true); the pod annotation wins. */
  rewriteAppHTTPProbe?: boolean;
  /**
   * The port whose probes count as already rewritten (Istio: the mesh `defaultConfig.statusPort`,
   * even when the pod's `status.sidecar.istio.io/port` moves the agent). Default: `statusPort`.
   */
  targetPort?: number;
  /**
   * ISTIO_KUBE_APP_PROBERS of an earlier injection, merged in (its entries win). Default: the value
   * on the pod's own istio-proxy when the pod carries `sidecar.istio.io/status`; `null`: none.
   */
  existingProbers?: string | null;
}

/** Istio's ShouldRewriteAppHTTPProbers: a Go boolean in the annotation wins, else the setting. */
export function shouldRewriteAppProbes(annotations: Record<string, string> | undefined, setting = true): boolean {
  const value = annotations?.[REWRITE_ANNOTATION];
  const parsed = value === undefined ? undefined : parseGoBool(value);
  return parsed ?? setting;
}

function enabled(pod: Pod, statusPort: number, options: ProbeOptions): boolean {
  return statusPort > 0 && shouldRewriteAppProbes(pod.metadata?.annotations, options.rewriteAppHTTPProbe ?? true);
}

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? (value as JsonObject[]).filter((c) => typeof c === 'object' && c !== null) : [];
}

/** Every container but istio-proxy: init containers (native sidecars carry probes) then the app's. */
function appContainers(pod: Pod): JsonObject[] {
  return [...list(pod.spec?.initContainers), ...list(pod.spec?.containers)].filter((c) => c.name !== PROXY);
}

function portsByName(container: JsonObject): Map<string, unknown> {
  const ports = new Map<string, unknown>();
  for (const port of list(container.ports)) if (typeof port.name === 'string' && port.name !== '') ports.set(port.name, port.containerPort);
  return ports;
}

/** The probers of the pod's probes and hooks, by agent URL, as Istio's DumpAppProbers finds them. */
function collectProbers(pod: Pod, targetPort: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const container of appContainers(pod)) {
    const name = String(container.name ?? '');
    // The container's named ports, read only when a probe or hook names one.
    let ports: Map<string, unknown> | undefined;
    const add = (handler: unknown, isHook: boolean, suffix: string) => {
      const found = handlerOf(handler, isHook);
      if (found === undefined) return;
      const prober = resolvePorts(found, namesPort(found) ? (ports ??= portsByName(container)) : NO_PORTS, targetPort);
      if (prober !== undefined) out.set(proberUrl(name, suffix), proberJson(prober));
    };
    for (const [field, suffix] of PROBES) if (container[field] !== undefined) add(container[field], false, suffix);
    const lifecycle = container.lifecycle as JsonObject | undefined;
    if (typeof lifecycle === 'object' && lifecycle !== null) for (const [field, suffix] of HOOKS) add(lifecycle[field], true, suffix);
  }
  return out;
}

const NO_PORTS: ReadonlyMap<string, unknown> = new Map();

/** Whether a prober's port is a name, to be looked up among the container's ports. */
function namesPort(prober: Prober): boolean {
  return prober.grpc === undefined && typeof (prober.httpGet ?? prober.tcpSocket)?.port === 'string';
}

/** The ISTIO_KUBE_APP_PROBERS on the pod's istio-proxy, when an earlier injection left one. */
function probersOnPod(pod: Pod): string | undefined {
  if (pod.metadata?.annotations?.[STATUS_ANNOTATION] === undefined) return undefined;
  const proxy = [...list(pod.spec?.containers), ...list(pod.spec?.initContainers)].find((c) => c.name === PROXY);
  const env = list(proxy?.env).find((e) => e.name === PROBERS_ENV);
  return typeof env?.value === 'string' ? env.value : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges an earlier ISTIO_KUBE_APP_PROBERS into freshly computed probers: the earlier entries win
 * (they hold the original targets; the probes now point at the agent). An unreadable earlier value
 * is kept unchanged, as Istio does.
 */
export function mergeAppProbers(existing: string, fresh: Map<string, string>): string {
  const recorded = readProbers(existing);
  if (recorded === undefined) return existing;
  const merged = new Map(fresh);
  for (const [key, value] of Object.entries(recorded)) merged.set(key, value === null ? 'null' : proberJson(value as Prober));
  return goMap(merged);
}

/**
 * The ISTIO_KUBE_APP_PROBERS value for the pod: a JSON object keyed by agent URL, sorted keys, in
 * Go's layout. Named ports are resolved (a name the container lacks drops the entry); probes
 * already on `targetPort` are left out. "" when nothing is rewritten (status port 0, rewriting
 * disabled, no HTTP/TCP/gRPC probe or hook). On re-injection the earlier value is merged in.
 */
export function appProbersJson(pod: Pod, statusPort: number, options: ProbeOptions = {}): string {
  if (!enabled(pod, statusPort, options)) return '';
  const fresh = collectProbers(pod, options.targetPort ?? statusPort);
  const existing = options.existingProbers === undefined ? probersOnPod(pod) : (options.existingProbers ?? undefined);
  if (fresh.size === 0) return existing ?? '';
  return existing === undefined ? goMap(fresh) : mergeAppProbers(existing, fresh);
}

/** Points an HTTP action at the agent; the kubelet speaks plain HTTP to it, the agent HTTPS to the app. */
function towardsAgent(httpGet: JsonObject, path: string, port: number): JsonObject {
  const { path: _path, port: _port, ...rest } = httpGet;
  const out: JsonObject = { path, port, ...rest };
  if (out.scheme === 'HTTPS') out.scheme = 'HTTP';
  return out;
}

function rewritten(handler: unknown, isHook: boolean, path: string, port: number): JsonObject | undefined {
  if (!isObject(handler)) return undefined;
  const found = handlerOf(handler, isHook);
  if (found === undefined) return undefined;
  const out: JsonObject = { ...handler };
  if (found.httpGet !== undefined) {
    out.httpGet = towardsAgent(found.httpGet, path, port);
  } else {
    // TCP and gRPC checks become HTTP calls to the agent, which makes the TCP or gRPC check itself.
    delete out.tcpSocket;
    delete out.grpc;
    out.httpGet = { path, port };
  }
  return out;
}

/**
 * Rewrites, in place, every HTTP/TCP/gRPC probe and HTTP/TCP lifecycle hook of the app containers
 * (init containers included, istio-proxy excluded) to the agent on `statusPort`. Rewriting an
 * already rewritten pod changes nothing. Does nothing when `appProbersJson` would be disabled.
 */
export function rewriteAppProbes(pod: Pod, statusPort: number, options: ProbeOptions = {}): void {
  if (!enabled(pod, statusPort, options)) return;
  for (const container of appContainers(pod)) {
    const name = String(container.name ?? '');
    for (const [field, suffix] of PROBES) {
      const probe = rewritten(container[field], false, proberUrl(name, suffix), statusPort);
      if (probe !== undefined) container[field] = probe;
    }
    const lifecycle = container.lifecycle;
    if (!isObject(lifecycle)) continue;
    for (const [field, suffix] of HOOKS) {
      const hook = rewritten(lifecycle[field], true, proberUrl(name, suffix), statusPort);
      if (hook !== undefined) lifecycle[field] = hook;
    }
  }
}
