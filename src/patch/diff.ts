/**
 * Computes the JSON patch that turns the pod as received into the injected pod.
 *
 * Both sides must be plain JSON (no `undefined`, no class instances). The walk is linear in the
 * size of the documents: arrays are compared by common prefix and suffix, so an element inserted
 * at the front of `initContainers` becomes one `add` instead of a rewrite of every later element,
 * and a container with thousands of unchanged environment variables costs one pass.
 * Missing parents are never assumed: a map or list absent from the original is added whole.
 */
import { isJsonObject, jsonEqual } from './equal.js';
import { escapeSegment } from './pointer.js';
import type { PatchOperation } from './types.js';

/**
 * The paths of children, by their parent's path and their key, kept: reviews of similar pods patch
 * the same paths, and a kept string has its hash computed once, so the lookups by path that follow
 * (verification's, the serializer's) cost no hashing. Bounded: forgotten all at once when full,
 * and a diff keeps at most MAX_NEW_PATHS new ones: a large pod's thousands of paths would take the
 * store over on every review. Its other paths are made afresh (verification keeps them its own way).
 */
const childPaths = new Map<string, Map<string | number, string>>();
const MAX_CHILD_PATHS = 4096;
const MAX_NEW_PATHS = 256;
const MAX_PATH_CHARS = 512;
let childPathCount = 0;
/** Paths this diff may still keep. */
let newPathsLeft = MAX_NEW_PATHS;

function childPath(path: string, key: string | number): string {
  // Once this diff has kept its share, its pod is a large one: its next paths are most likely new
  // too, and are built without a lookup.
  if (newPathsLeft === 0) return `${path}/${typeof key === 'number' ? key : escapeSegment(key)}`;
  let children = childPaths.get(path);
  let child = children?.get(key);
  if (child !== undefined) return child;
  child = `${path}/${typeof key === 'number' ? key : escapeSegment(key)}`;
  if (child.length > MAX_PATH_CHARS) return child;
  newPathsLeft--;
  if (childPathCount >= MAX_CHILD_PATHS) {
    childPaths.clear();
    childPathCount = 0;
    children = undefined;
  }
  if (children === undefined) {
    children = new Map();
    childPaths.set(path, children);
  }
  children.set(key, child);
  childPathCount++;
  return child;
}

/** Returns the operations that transform `original` into `mutated`. */
export function diffPatch(original: unknown, mutated: unknown): PatchOperation[] {
  if (!isJsonObject(original) || !isJsonObject(mutated)) {
    throw new Error('diffPatch compares two JSON objects');
  }
  const ops: PatchOperation[] = [];
  newPathsLeft = MAX_NEW_PATHS;
  diffObjects(original, mutated, '', ops);
  return ops;
}

function diffValues(a: unknown, b: unknown, path: string, ops: PatchOperation[]): void {
  if (a === b) return;
  if (isJsonObject(a) && isJsonObject(b)) return diffObjects(a, b, path, ops);
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, path, ops);
  if (!jsonEqual(a, b)) ops.push({ op: 'replace', path, value: b });
}

function diffObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: string, ops: PatchOperation[]): void {
  // Keys read in place rather than listed: this runs for every pair of objects that differ.
  for (const key in a) {
    if (Object.prototype.hasOwnProperty.call(a, key) && !Object.prototype.hasOwnProperty.call(b, key)) ops.push({ op: 'remove', path: childPath(path, key) });
  }
  for (const key of Object.keys(b)) {
    // Most values are shared or equal: build a child's path only when it may be needed.
    if (!Object.prototype.hasOwnProperty.call(a, key)) ops.push({ op: 'add', path: childPath(path, key), value: b[key] });
    else if (a[key] !== b[key]) diffValues(a[key], b[key], childPath(path, key), ops);
  }
}

function diffArrays(a: unknown[], b: unknown[], path: string, ops: PatchOperation[]): void {
  let prefix = 0;
  const shortest = Math.min(a.length, b.length);
  while (prefix < shortest && jsonEqual(a[prefix], b[prefix])) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && jsonEqual(a[a.length - 1 - suffix], b[b.length - 1 - suffix])) suffix++;

  const changedA = a.length - prefix - suffix;
  const changedB = b.length - prefix - suffix;
  const paired = Math.min(changedA, changedB);
  // Elements present on both sides are diffed in place; then the surplus is added or removed at
  // the end of the changed window, which keeps every index valid when applied in order.
  for (let i = 0; i < paired; i++) diffValues(a[prefix + i], b[prefix + i], childPath(path, prefix + i), ops);
  for (let i = paired; i < changedB; i++) ops.push({ op: 'add', path: childPath(path, prefix + i), value: b[prefix + i] });
  for (let i = paired; i < changedA; i++) ops.push({ op: 'remove', path: childPath(path, prefix + paired) });
}
