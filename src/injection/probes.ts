/**
 * App probe rewriting: HTTP, TCP and gRPC probes and lifecycle hooks of the app containers are
 * pointed at the agent's status port (`/app-health/<container>/<livez|readyz|startupz>`,
 * `/app-lifecycle/<container>/<poststartz|prestopz>`), because with mTLS the kubelet cannot reach
 * the app directly. The originals travel to the agent in ISTIO_KUBE_APP_PROBERS.
 */
import { keepDefaults } from './overlay.js';
import type { JsonObject, Pod } from './types.js';

const PROBES = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;
const HOOKS = [
  ['postStart', 'poststartz'],
  ['preStop', 'prestopz'],
] as const;

/** App containers, and the user's native sidecars (init containers that keep running). */
function appContainers(pod: Pod): JsonObject[] {
  const sidecars = ((pod.spec?.initContainers ?? []) as JsonObject[]).filter((c) => c.restartPolicy === 'Always');
  return [...sidecars, ...((pod.spec?.containers ?? []) as JsonObject[])].filter((c) => c.name !== 'istio-proxy');
}

function resolvePort(container: JsonObject, port: unknown): unknown {
  if (typeof port !== 'string' || /^\d+$/.test(port)) return typeof port === 'string' ? Number(port) : port;
  const named = ((container.ports ?? []) as JsonObject[]).find((p) => p.name === port);
  return named?.containerPort ?? port;
}

/** An action as Go's JSON encoding writes it: known fields in struct order, empty ones left out. */
function ordered(action: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const value = action[field];
    if (value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)) out[field] = value;
  }
  return out;
}

/** The original handler of a probe or hook, for ISTIO_KUBE_APP_PROBERS; undefined when not rewritten. */
function prober(container: JsonObject, handler: JsonObject, statusPort: number, withTimeout: boolean): JsonObject | undefined {
  const out: JsonObject = {};
  if (handler.httpGet !== undefined) {
    out.httpGet = ordered({ ...handler.httpGet, port: resolvePort(container, handler.httpGet.port) }, ['path', 'port', 'host', 'scheme', 'httpHeaders']);
  } else if (handler.tcpSocket !== undefined) {
    out.tcpSocket = ordered({ ...handler.tcpSocket, port: resolvePort(container, handler.tcpSocket.port) }, ['port', 'host']);
  } else if (handler.grpc !== undefined) {
    out.grpc = { port: handler.grpc.port, ...(handler.grpc.service !== undefined && handler.grpc.service !== null ? { service: handler.grpc.service } : {}) };
  } else {
    return undefined;
  }
  if (out.httpGet?.port === statusPort && String(out.httpGet?.path ?? '').startsWith('/app-')) return undefined;
  if (withTimeout && typeof handler.timeoutSeconds === 'number' && handler.timeoutSeconds !== 0) out.timeoutSeconds = handler.timeoutSeconds;
  return out;
}

function visit(pod: Pod, statusPort: number, fn: (key: string, holder: JsonObject, field: string, original: JsonObject) => void): void {
  for (const container of appContainers(pod)) {
    const name = String(container.name);
    for (const [field, suffix] of PROBES) {
      const probe = container[field] as JsonObject | undefined;
      if (probe === undefined || probe === null) continue;
      const original = prober(container, probe, statusPort, true);
      if (original !== undefined) fn(`/app-health/${name}/${suffix}`, container, field, original);
    }
    const lifecycle = container.lifecycle as JsonObject | undefined;
    for (const [field, suffix] of HOOKS) {
      const hook = lifecycle?.[field] as JsonObject | undefined;
      if (hook === undefined || hook === null) continue;
      const original = prober(container, hook, statusPort, false);
      if (original !== undefined) fn(`/app-lifecycle/${name}/${suffix}`, lifecycle!, field, original);
    }
  }
}

/** ISTIO_KUBE_APP_PROBERS for the pod: sorted keys, compact JSON; "" when nothing is rewritten. */
export function appProbersJson(pod: Pod, statusPort: number): string {
  const probers: Record<string, JsonObject> = {};
  visit(pod, statusPort, (key, _holder, _field, original) => {
    probers[key] = original;
  });
  const keys = Object.keys(probers).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(probers[key])}`).join(',')}}`;
}

/** Points every rewritable probe and hook at the status port, in place. */
export function rewriteAppProbes(pod: Pod, statusPort: number): void {
  visit(pod, statusPort, (key, holder, field) => {
    const handler = { ...(holder[field] as JsonObject) };
    const httpGet: JsonObject = handler.httpGet !== undefined ? { ...handler.httpGet } : {};
    delete handler.tcpSocket;
    delete handler.grpc;
    httpGet.path = key;
    httpGet.port = statusPort;
    // The kubelet talks plain HTTP to the agent, which speaks HTTPS to the app when needed.
    if (httpGet.scheme === 'HTTPS') httpGet.scheme = 'HTTP';
    handler.httpGet = ordered(httpGet, ['path', 'port', 'host', 'scheme', 'httpHeaders']);
    holder[field] = handler;
  });
}

/** The rewritten probes and hooks an earlier injection left, by key, as the apiserver defaulted them. */
export type RewrittenProbes = Map<string, JsonObject>;

/**
 * Puts back the original handlers recorded by an earlier injection, so re-injection starts clean.
 * Returns the rewritten versions it replaced, for `keepProbeDefaults`.
 */
export function restoreAppProbes(pod: Pod, probersJson: string): RewrittenProbes {
  const rewritten: RewrittenProbes = new Map();
  let probers: Record<string, JsonObject>;
  try {
    probers = JSON.parse(probersJson);
  } catch {
    return rewritten;
  }
  for (const container of appContainers(pod)) {
    const name = String(container.name);
    const restore = (holder: JsonObject | undefined, field: string, key: string) => {
      const original = probers[key];
      const current = holder?.[field] as JsonObject | undefined;
      if (original === undefined || current === undefined || holder === undefined) return;
      rewritten.set(key, current);
      const { httpGet: _h, tcpSocket: _t, grpc: _g, ...rest } = current;
      const { timeoutSeconds: _timeout, ...handler } = original;
      holder[field] = { ...handler, ...rest };
    };
    for (const [field, suffix] of PROBES) restore(container, field, `/app-health/${name}/${suffix}`);
    for (const [field, suffix] of HOOKS) restore(container.lifecycle as JsonObject | undefined, field, `/app-lifecycle/${name}/${suffix}`);
  }
  return rewritten;
}

/** After rewriting again, keeps what the apiserver had defaulted on the earlier rewrite (e.g. `scheme`). */
export function keepProbeDefaults(pod: Pod, statusPort: number, rewritten: RewrittenProbes): void {
  if (rewritten.size === 0) return;
  for (const container of appContainers(pod)) {
    const name = String(container.name);
    const apply = (holder: JsonObject | undefined, field: string, key: string) => {
      const before = rewritten.get(key);
      const current = holder?.[field] as JsonObject | undefined;
      if (before === undefined || current === undefined || holder === undefined) return;
      if (current.httpGet?.port !== statusPort) return;
      holder[field] = keepDefaults(before, current);
    };
    for (const [field, suffix] of PROBES) apply(container, field, `/app-health/${name}/${suffix}`);
    for (const [field, suffix] of HOOKS) apply(container.lifecycle as JsonObject | undefined, field, `/app-lifecycle/${name}/${suffix}`);
  }
}
