/**
 * Re-injection of rewritten probes: the originals recorded in ISTIO_KUBE_APP_PROBERS are put back
 * before rendering afresh, and fields the apiserver defaulted on the rewritten probes are kept.
 * (Rewriting itself is in probes/.)
 */
import { keepDefaults } from './overlay.js';
import type { RecordedProbers } from './previous-injection.js';
import type { JsonObject, Pod } from './types.js';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/** The rewritten probes and hooks an earlier injection left, by key, as the apiserver defaulted them. */
export type RewrittenProbes = Map<string, JsonObject>;

/**
 * Puts back the original handlers recorded by an earlier injection, so re-injection starts clean.
 * Returns the rewritten versions it replaced, for `keepProbeDefaults`.
 */
export function restoreAppProbes(pod: Pod, probers: RecordedProbers): RewrittenProbes {
  const rewritten: RewrittenProbes = new Map();
  for (const container of appContainers(pod)) {
    const name = String(container.name);
    const restore = (holder: JsonObject | undefined, field: string, key: string) => {
      // A `null` entry records nothing to put back: the probe stays pointed at the agent.
      const original = Object.hasOwn(probers, key) ? probers[key] : undefined;
      const current = holder?.[field] as JsonObject | undefined;
      if (original === undefined || original === null || !isObject(current) || !isObject(holder)) return;
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
