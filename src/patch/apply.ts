/**
 * Applies a patch with the semantics of the apiserver's JSON patch library (evanphx/json-patch
 * v4): operations in order, the first failure fails the whole patch, `add` needs an existing
 * parent, array indexes must be in bounds (`-` appends), `remove`/`replace` need an existing
 * target and `add ""` is refused. The input is never modified: each object and list on the way
 * to a change is copied (shallowly, once), everything else is shared with the input, so applying
 * a patch costs what it touches rather than the size of the pod.
 */
import { copyObject, isJsonObject, setOwn } from './equal.js';
import { parsePointer } from './pointer.js';
import type { PatchOperation } from './types.js';

export class PatchApplyError extends Error {
  constructor(
    readonly index: number,
    readonly operation: PatchOperation,
    reason: string,
  ) {
    super(`operation ${index} (${operation.op} ${operation.path}): ${reason}`);
    this.name = 'PatchApplyError';
  }
}

/**
 * Returns a new document with `ops` applied; throws PatchApplyError on the first failure.
 * `pointers`: the ops' paths already split into segments (verification parses them once).
 */
export function applyPatch<T>(document: T, ops: readonly PatchOperation[], pointers?: ReadonlyArray<readonly string[]>): T {
  // Containers copied by this application: changing them cannot touch the input (or a value
  // an earlier operation added, which belongs to the caller).
  const owned = new Set<unknown>();
  const own = <C>(container: C): C => {
    if (owned.has(container)) return container;
    const copy = (Array.isArray(container) ? container.slice() : copyObject(container as Record<string, unknown>)) as C;
    owned.add(copy);
    return copy;
  };
  const root = (isContainer(document) ? own(document) : document) as unknown;
  for (let index = 0; index < ops.length; index++) {
    const operation = ops[index]!;
    const segments = pointers?.[index] ?? parsePointer(operation.path);
    const last = segments[segments.length - 1];
    if (last === undefined) throw new PatchApplyError(index, operation, operation.op === 'add' ? 'add with an empty path is not allowed' : 'the whole document cannot be targeted');
    let parent: unknown = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i]!;
      const next = child(parent, segment);
      if (!isContainer(next)) throw new PatchApplyError(index, operation, `doc is missing path: "${operation.path}"`);
      const mine = own(next);
      if (mine !== next) (parent as Record<string, unknown>)[Array.isArray(parent) ? Number(segment) : segment] = mine;
      parent = mine;
    }
    const problem = Array.isArray(parent)
      ? applyToArray(parent, last, operation)
      : isJsonObject(parent)
        ? applyToObject(parent, last, operation)
        : `doc is missing path: "${operation.path}"`;
    if (problem !== undefined) throw new PatchApplyError(index, operation, problem);
  }
  return root as T;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function child(container: unknown, segment: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(segment);
    return index === undefined ? undefined : container[index];
  }
  if (isJsonObject(container) && Object.prototype.hasOwnProperty.call(container, segment)) return container[segment];
  return undefined;
}

function arrayIndex(segment: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : undefined;
}

/** Applies one operation to an object; returns why it does not apply, or undefined. */
function applyToObject(parent: Record<string, unknown>, key: string, operation: PatchOperation): string | undefined {
  const present = Object.prototype.hasOwnProperty.call(parent, key);
  switch (operation.op) {
    case 'add':
      setOwn(parent, key, operation.value);
      return undefined;
    case 'replace':
      if (!present) return `replace operation does not apply: doc is missing key: ${operation.path}`;
      setOwn(parent, key, operation.value);
      return undefined;
    case 'remove':
      if (!present) return `remove operation does not apply: doc is missing key: ${operation.path}`;
      delete parent[key];
      return undefined;
  }
}

/** Applies one operation to a list; returns why it does not apply, or undefined. */
function applyToArray(parent: unknown[], segment: string, operation: PatchOperation): string | undefined {
  if (operation.op === 'add' && segment === '-') {
    parent.push(operation.value);
    return undefined;
  }
  const index = arrayIndex(segment);
  if (index === undefined) return `invalid array index '${segment}'`;
  switch (operation.op) {
    case 'add':
      if (index > parent.length) return `add index ${index} out of bounds (length ${parent.length})`;
      parent.splice(index, 0, operation.value);
      return undefined;
    case 'replace':
      if (index >= parent.length) return `replace index ${index} out of bounds (length ${parent.length})`;
      parent[index] = operation.value;
      return undefined;
    case 'remove':
      if (index >= parent.length) return `remove index ${index} out of bounds (length ${parent.length})`;
      parent.splice(index, 1);
      return undefined;
  }
}
