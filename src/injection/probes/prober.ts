/**
 * What ISTIO_KUBE_APP_PROBERS records: for each probe or lifecycle hook the agent takes over, the
 * original handler (Istio's `Prober`: httpGet, tcpSocket or grpc, and the probe's timeoutSeconds).
 */
import type { JsonObject } from '../types.js';
import { goMember, int, intOrString, optionalString, requiredString } from './go-json.js';

/** Probe fields and the URL suffix the agent serves them on. */
export const PROBES = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

/** Lifecycle hooks and their URL suffix. */
export const HOOKS = [
  ['preStop', 'prestopz'],
  ['postStart', 'poststartz'],
] as const;

/** The agent's URL for a probe (`/app-health/<c>/<suffix>`) or a hook (`/app-lifecycle/<c>/<suffix>`). */
export function proberUrl(container: string, suffix: string): string {
  const kind = suffix === 'prestopz' || suffix === 'poststartz' ? 'app-lifecycle' : 'app-health';
  return `/${kind}/${container}/${suffix}`;
}

/** A handler the agent can take over, with its port resolved; undefined when there is none. */
export interface Prober {
  httpGet?: JsonObject;
  tcpSocket?: JsonObject;
  grpc?: JsonObject;
  timeoutSeconds?: number;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The handler of a probe (with its timeout) or a hook (HTTP and TCP only, no timeout). */
export function handlerOf(handler: unknown, isHook: boolean): Prober | undefined {
  if (!isObject(handler)) return undefined;
  // Istio looks at httpGet, then tcpSocket, then (probes only) grpc.
  if (isObject(handler.httpGet)) return { httpGet: handler.httpGet, ...(isHook ? {} : { timeoutSeconds: handler.timeoutSeconds }) };
  if (isObject(handler.tcpSocket)) return { tcpSocket: handler.tcpSocket, ...(isHook ? {} : { timeoutSeconds: handler.timeoutSeconds }) };
  if (!isHook && isObject(handler.grpc)) return { grpc: handler.grpc, timeoutSeconds: handler.timeoutSeconds };
  return undefined;
}

/**
 * Resolves a named port against the container's ports. Returns undefined when the prober must be
 * left out: a name the container does not declare, or a number equal to `targetPort` (the probe
 * already points at the agent, i.e. an earlier injection rewrote it). gRPC ports are numbers only.
 */
export function resolvePorts(prober: Prober, ports: ReadonlyMap<string, unknown>, targetPort: number): Prober | undefined {
  if (prober.grpc !== undefined) return prober;
  const action = prober.httpGet ?? prober.tcpSocket!;
  const port = action.port;
  if (typeof port === 'string') {
    if (!ports.has(port)) return undefined;
    const resolved = { ...action, port: ports.get(port) };
    return prober.httpGet !== undefined ? { ...prober, httpGet: resolved } : { ...prober, tcpSocket: resolved };
  }
  return port === targetPort ? undefined : prober;
}

function httpHeaders(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return `[${value.map((h: unknown) => `{${goMember(goMember('', 'name', requiredString(isObject(h) ? h.name : '')), 'value', requiredString(isObject(h) ? h.value : ''))}}`).join(',')}]`;
}

/** One prober as Go's encoding writes Istio's Prober struct (members built as text, in struct order). */
export function proberJson(prober: Prober): string {
  const http = prober.httpGet;
  const tcp = prober.tcpSocket;
  const grpc = prober.grpc;
  let out = '';
  if (http) {
    let members = goMember('', 'path', optionalString(http.path));
    members = goMember(members, 'port', intOrString(http.port));
    members = goMember(members, 'host', optionalString(http.host));
    members = goMember(members, 'scheme', optionalString(http.scheme));
    out = goMember(out, 'httpGet', `{${goMember(members, 'httpHeaders', httpHeaders(http.httpHeaders))}}`);
  }
  if (tcp) out = goMember(out, 'tcpSocket', `{${goMember(goMember('', 'port', intOrString(tcp.port)), 'host', optionalString(tcp.host))}}`);
  // GRPCAction.service has no omitempty: absent is written null.
  if (grpc) out = goMember(out, 'grpc', `{${goMember(goMember('', 'port', int(grpc.port)), 'service', typeof grpc.service === 'string' ? requiredString(grpc.service) : 'null')}}`);
  const timeout = int(prober.timeoutSeconds);
  return `{${goMember(out, 'timeoutSeconds', timeout === '0' ? undefined : timeout)}}`;
}
