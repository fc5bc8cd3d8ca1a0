/**
 * Lays a template fragment over a pod the way Kubernetes' strategic merge patch does for the
 * lists Istio's templates touch: items with the same merge key merge (maps recursively, the
 * overlay's scalars win), other lists are replaced.
 */
import type { JsonObject } from './types.js';

/** Merge keys of the pod lists that strategic merge patch merges instead of replacing. */
const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
};

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `overlay` into a copy of `base`. Merged lists put the overlay's items first, as a
 * strategic merge patch does, or keep the base's items first with `baseFirst`.
 */
export function overlayObject(base: JsonObject, overlay: JsonObject, baseFirst = false): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    if (isMap(value) && isMap(current)) out[key] = overlayObject(current, value, baseFirst);
    else if (Array.isArray(value) && Array.isArray(current) && key in MERGE_KEYS) {
      out[key] = baseFirst ? overlayList(value, current, MERGE_KEYS[key]!, true) : overlayList(current, value, MERGE_KEYS[key]!);
    } else out[key] = value;
  }
  return out;
}

/**
 * Merges list items by `mergeKey` in strategic-merge order: the overlay's items first (merged with
 * the base item of the same key), then the base items the overlay does not mention.
 */
export function overlayList(base: JsonObject[], overlay: JsonObject[], mergeKey: string, baseWins = false): JsonObject[] {
  const byKey = new Map<unknown, JsonObject>();
  for (const item of base) if (isMap(item)) byKey.set(item[mergeKey], item);
  const seen = new Set<unknown>();
  const out: JsonObject[] = [];
  for (const item of overlay) {
    const key = isMap(item) ? item[mergeKey] : undefined;
    const existing = byKey.get(key);
    seen.add(key);
    out.push(existing === undefined ? item : baseWins ? overlayObject(item, existing, true) : overlayObject(existing, item));
  }
  for (const item of base) if (!isMap(item) || !seen.has(item[mergeKey])) out.push(item);
  return out;
}

/**
 * `after`, plus the fields only `before` has: what the apiserver defaulted on an earlier version
 * of the same item. Keyed lists match by key; other lists of equal length match by position.
 */
export function keepDefaults(before: unknown, after: unknown, key?: string): unknown {
  if (isMap(before) && isMap(after)) {
    const out: JsonObject = { ...before, ...after };
    for (const [k, value] of Object.entries(after)) if (k in before) out[k] = keepDefaults(before[k], value, k);
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const mergeKey = key === undefined ? undefined : MERGE_KEYS[key];
    if (mergeKey !== undefined) {
      const old = new Map(before.filter(isMap).map((item) => [item[mergeKey], item]));
      const kept = after.map((item) => (isMap(item) && old.has(item[mergeKey]) ? keepDefaults(old.get(item[mergeKey]), item) : item));
      // The ServiceAccount admission plugin mounts the API token into every container, ours
      // included, when the chain reruns after a mutation: keep that mount so reinvocation is a no-op.
      if (key === 'volumeMounts') {
        const paths = new Set(after.filter(isMap).map((item) => item.mountPath));
        for (const item of before) if (isMap(item) && item.mountPath === SERVICE_ACCOUNT_TOKEN_PATH && !paths.has(item.mountPath)) kept.push(item);
      }
      return kept;
    }
    if (before.length === after.length) return after.map((item, i) => keepDefaults(before[i], item));
  }
  return after;
}
