/**
 * JSON patch as the apiserver applies it (evanphx/json-patch v4), written independently of
 * src/patch so that the oracle cannot share a bug with the code it checks.
 */
export class PatchError extends Error {}

/** Go maps have no prototype: `__proto__` is a key like any other (an assignment would not make it one). */
function set(object: any, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function decode(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

function container(doc: any, path: string): { parent: any; key: string } {
  if (path === '') throw new PatchError('add operation does not apply: path "" is not allowed');
  if (!path.startsWith('/')) throw new PatchError(`invalid path ${path}`);
  const tokens = path.slice(1).split('/').map(decode);
  const key = tokens.pop()!;
  let parent = doc;
  for (const token of tokens) {
    if (Array.isArray(parent)) {
      if (!/^\d+$/.test(token) || Number(token) >= parent.length) throw new PatchError(`doc is missing path: "${path}"`);
      parent = parent[Number(token)];
    } else if (parent !== null && typeof parent === 'object' && Object.hasOwn(parent, token)) {
      parent = parent[token];
    } else {
      throw new PatchError(`doc is missing path: "${path}"`);
    }
    if (parent === null || typeof parent !== 'object') throw new PatchError(`doc is missing path: "${path}"`);
  }
  return { parent, key };
}

function index(parent: any[], key: string, path: string, allowEnd: boolean): number {
  if (!/^\d+$/.test(key)) throw new PatchError(`invalid array index in ${path}`);
  const i = Number(key);
  if (i > parent.length || (!allowEnd && i === parent.length)) throw new PatchError(`array index ${i} out of bounds in ${path}`);
  return i;
}

/** Applies `ops` to a deep copy of `doc`; throws PatchError on the first failing operation. */
export function applyJsonPatchV4(doc: unknown, ops: unknown): any {
  if (!Array.isArray(ops)) throw new PatchError('patch is not a JSON array');
  const out = JSON.parse(JSON.stringify(doc));
  for (const op of ops) {
    if (op === null || typeof op !== 'object' || typeof op.path !== 'string') throw new PatchError(`malformed operation ${JSON.stringify(op)}`);
    const { parent, key } = container(out, op.path);
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw new PatchError('add operation has no value');
        if (Array.isArray(parent)) {
          if (key === '-') parent.push(op.value);
          else parent.splice(index(parent, key, op.path, true), 0, op.value);
        } else set(parent, key, op.value);
        break;
      case 'remove':
      case 'replace':
        if (Array.isArray(parent)) {
          const i = index(parent, key, op.path, false);
          if (op.op === 'remove') parent.splice(i, 1);
          else parent[i] = op.value;
        } else {
          if (!Object.hasOwn(parent, key)) throw new PatchError(`${op.op} operation does not apply: doc is missing key: ${op.path}`);
          if (op.op === 'remove') delete parent[key];
          else set(parent, key, op.value);
        }
        break;
      default:
        throw new PatchError(`unsupported operation ${String(op.op)}`);
    }
  }
  return out;
}
