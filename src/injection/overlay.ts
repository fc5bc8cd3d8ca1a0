/**
 * Lays a template fragment over a pod the way Kubernetes' strategic merge patch does for the
 * lists Istio's templates touch: items with the same merge key merge (maps recursively, the
 * overlay's scalars win), other lists are replaced.
 */
import { copyObject, ownValue, setOwn } from '../patch/equal.js';
import type { JsonObject } from './types.js';

/** Merge keys of the pod lists that strategic merge patch merges instead of replacing. */
const MERGE_KEYS: ReadonlyMap<string, string> = new Map([
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['volumes', 'name'],
  ['imagePullSecrets', 'name'],
  ['env', 'name'],
  ['ports', 'containerPort'],
  ['volumeMounts', 'mountPath'],
]);

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `overlay` into a copy of `base`. Merged lists put the overlay's items first, then the
 * base's others; with `strategicOrder`, merged lists take the order a strategic merge patch gives
 * (see {@link strategicList}). Every key is a plain key, `__proto__` and `constructor` included.
 */
export function overlayObject(base: JsonObject, overlay: JsonObject, strategicOrder = false): JsonObject {
  // Copied key by key, not spread: the overlay's keys are added to it (see copyObject).
  const out = copyObject(base);
  for (const key of Object.keys(overlay)) {
    const value = overlay[key];
    // Own keys only: an inherited one (`constructor`, or `__proto__`, which reads as a map) is no
    // value of the base to merge with.
    const current = ownValue(out, key);
    let merged: unknown = value;
    if (isMap(value) && isMap(current)) merged = overlayObject(current, value, strategicOrder);
    else if (Array.isArray(value) && Array.isArray(current)) {
      const mergeKey = MERGE_KEYS.get(key);
      if (mergeKey !== undefined) merged = strategicOrder ? strategicList(current, value, mergeKey) : overlayList(current, value, mergeKey);
    }
    setOwn(out, key, merged);
  }
  return out;
}

/**
 * Pairs the items of two keyed lists: the n-th item of `overlay` with a given key goes with the
 * n-th item of `base` with that key (undefined: none). Kubernetes lets some keys repeat (two
 * variables of one name, one port for TCP and for UDP); pairing by occurrence keeps each of them
 * whole, where pairing every one with the first would fold them into one item (a variable with
 * both `value` and `valueFrom`, which the apiserver refuses) and drop the others.
 */
function pairByKey(base: unknown[], overlay: unknown[], mergeKey: string): Array<number | undefined> {
  const slots = new Map<unknown, number[]>();
  base.forEach((item, i) => {
    if (!isMap(item)) return;
    const indexes = slots.get(item[mergeKey]);
    if (indexes === undefined) slots.set(item[mergeKey], [i]);
    else indexes.push(i);
  });
  const seen = new Map<unknown, number>();
  return overlay.map((item) => {
    if (!isMap(item)) return undefined;
    const occurrence = seen.get(item[mergeKey]) ?? 0;
    seen.set(item[mergeKey], occurrence + 1);
    return slots.get(item[mergeKey])?.[occurrence];
  });
}

/**
 * Merges list items by `mergeKey`: the overlay's items first (each merged with the base item it
 * pairs with, see {@link pairByKey}), then the base items no overlay item pairs with.
 */
export function overlayList(base: JsonObject[], overlay: JsonObject[], mergeKey: string): JsonObject[] {
  const pairs = pairByKey(base, overlay, mergeKey);
  const paired = new Set(pairs);
  const out = overlay.map((item, j) => (pairs[j] === undefined ? item : overlayObject(base[pairs[j]!]!, item)));
  base.forEach((item, i) => {
    if (!paired.has(i)) out.push(item);
  });
  return out;
}

/**
 * Merges `patch` into `original` by `mergeKey` the way Kubernetes' strategic merge patch orders
 * the result: the patch's items keep their order, and each item only the original has is placed
 * before the first patch item that the original lists after it. So a patch-only item comes where
 * the patch puts it and an original-only item stays near its original neighbours.
 */
export function strategicList(original: JsonObject[], patch: JsonObject[], mergeKey: string): JsonObject[] {
  const pairs = pairByKey(original, patch, mergeKey);
  const paired = new Set(pairs);
  const patchItems = patch.map((item, j) => ({ item: pairs[j] === undefined ? item : overlayObject(original[pairs[j]!]!, item, true), at: pairs[j] }));
  const originalOnly = original.flatMap((item, i) => (paired.has(i) ? [] : [{ item, at: isMap(item) ? i : undefined }]));
  const out: JsonObject[] = [];
  let i = 0;
  let j = 0;
  while (i < originalOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(originalOnly[i++]!.item);
    else if (i >= originalOnly.length) out.push(patchItems[j++]!.item);
    else {
      const left = originalOnly[i]!.at;
      const right = patchItems[j]!.at;
      if (left !== undefined && right !== undefined && left < right) out.push(originalOnly[i++]!.item);
      else out.push(patchItems[j++]!.item);
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
    for (const [k, value] of Object.entries(after)) if (Object.hasOwn(before, k)) setOwn(out, k, keepDefaults(before[k], value, k));
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const mergeKey = key === undefined ? undefined : MERGE_KEYS.get(key);
    if (mergeKey !== undefined) {
      const pairs = pairByKey(before, after, mergeKey);
      const kept = after.map((item, j) => (pairs[j] === undefined ? item : keepDefaults(before[pairs[j]!], item)));
      // Items only the earlier version has stay, where a strategic merge puts them, as in Istio
      // (which merges the template over the earlier pod): among them the API token mount the
      // ServiceAccount admission plugin adds to every container, so that reinvocation is a no-op.
      if (before.every(isMap) && kept.every(isMap)) return strategicList(before as JsonObject[], kept as JsonObject[], mergeKey);
      return kept;
    }
    if (before.length === after.length) return after.map((item, i) => keepDefaults(before[i], item));
  }
  return after;
}
