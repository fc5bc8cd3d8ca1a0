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
 * Merges `overlay` into a copy of `base`. Merged lists put the overlay's items first, then the
 * base's others; with `strategicOrder`, merged lists take the order a strategic merge patch gives
 * (see {@link strategicList}).
 */
export function overlayObject(base: JsonObject, overlay: JsonObject, strategicOrder = false): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    if (isMap(value) && isMap(current)) out[key] = overlayObject(current, value, strategicOrder);
    else if (Array.isArray(value) && Array.isArray(current) && key in MERGE_KEYS) {
      out[key] = strategicOrder ? strategicList(current, value, MERGE_KEYS[key]!) : overlayList(current, value, MERGE_KEYS[key]!);
    } else out[key] = value;
  }
  return out;
}

/**
 * Merges list items by `mergeKey` in strategic-merge order: the overlay's items first (merged with
 * the base item of the same key), then the base items the overlay does not mention.
 */
export function overlayList(base: JsonObject[], overlay: JsonObject[], mergeKey: string): JsonObject[] {
  const byKey = new Map<unknown, JsonObject>();
  for (const item of base) if (isMap(item)) byKey.set(item[mergeKey], item);
  const seen = new Set<unknown>();
  const out: JsonObject[] = [];
  for (const item of overlay) {
    const key = isMap(item) ? item[mergeKey] : undefined;
    const existing = byKey.get(key);
    seen.add(key);
    out.push(existing === undefined ? item : overlayObject(existing, item));
  }
  for (const item of base) if (!isMap(item) || !seen.has(item[mergeKey])) out.push(item);
  return out;
}

/**
 * Merges `patch` into `original` by `mergeKey` the way Kubernetes' strategic merge patch orders
 * the result: the patch's items keep their order, and each item only the original has is placed
 * before the first patch item that the original lists after it. So a patch-only item comes where
 * the patch puts it and an original-only item stays near its original neighbours.
 */
export function strategicList(original: JsonObject[], patch: JsonObject[], mergeKey: string): JsonObject[] {
  const position = new Map<unknown, number>();
  original.forEach((item, i) => {
    if (isMap(item) && !position.has(item[mergeKey])) position.set(item[mergeKey], i);
  });
  const inPatch = new Set<unknown>();
  const patchItems = patch.map((item) => {
    if (!isMap(item)) return item;
    inPatch.add(item[mergeKey]);
    const at = position.get(item[mergeKey]);
    return at === undefined ? item : overlayObject(original[at]!, item, true);
  });
  const originalOnly = original.filter((item) => !isMap(item) || !inPatch.has(item[mergeKey]));
  const out: JsonObject[] = [];
  let i = 0;
  let j = 0;
  while (i < originalOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(originalOnly[i++]!);
    else if (i >= originalOnly.length) out.push(patchItems[j++]!);
    else {
      const left = isMap(originalOnly[i]) ? position.get(originalOnly[i]![mergeKey]) : undefined;
      const right = isMap(patchItems[j]) ? position.get(patchItems[j]![mergeKey]) : undefined;
      if (left !== undefined && right !== undefined && left < right) out.push(originalOnly[i++]!);
      else out.push(patchItems[j++]!);
    }
  }
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
