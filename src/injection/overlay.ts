/**
 * Lays a template fragment over a pod the way Kubernetes' strategic merge patch does for the
 * lists Istio's templates touch: items with the same merge key merge (maps recursively, the
 * overlay's scalars win), new items are appended, other lists are replaced.
 */
import type { JsonObject } from './types.js';

/** Merge keys of the pod lists that strategic merge patch merges instead of replacing. */
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

/** Merges `overlay` into a copy of `base`. */
export function overlayObject(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    if (isMap(value) && isMap(current)) out[key] = overlayObject(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && key in MERGE_KEYS) out[key] = overlayList(current, value, MERGE_KEYS[key]!);
    else out[key] = value;
  }
  return out;
}

/** Merges list items by `mergeKey`: matching items merge in place, new ones are appended. */
export function overlayList(base: JsonObject[], overlay: JsonObject[], mergeKey: string): JsonObject[] {
  const out = [...base];
  const index = new Map<unknown, number>();
  out.forEach((item, i) => {
    if (isMap(item)) index.set(item[mergeKey], i);
  });
  for (const item of overlay) {
    const at = isMap(item) ? index.get(item[mergeKey]) : undefined;
    if (at === undefined) {
      index.set(item[mergeKey], out.length);
      out.push(item);
    } else {
      out[at] = overlayObject(out[at]!, item);
    }
  }
  return out;
}
