/**
 * JSON patch as the apiserver applies it (evanphx/json-patch v4.13), written independently of
 * src/patch so that the oracle cannot share a bug with the code it checks. Its semantics differ
 * from RFC 6902 in ways a webhook can trip over, all reproduced here with the library's messages:
 * `replace` of a missing object key adds it; a missing `value` is null; negative array indexes
 * count from the end; a path's first segment is never looked at (`a/b` is `/b`); `add` with path
 * `""` fails; `test`, `move` and `copy` are supported; anything else is `Unexpected kind`.
 */
export class PatchError extends Error {}

/** json.Unmarshal of the patch bytes into jsonpatch.Patch ([]map[string]*json.RawMessage). */
export function decodeJsonPatch(ops: unknown): unknown[] | null {
  if (ops === null) return null;
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v);
  if (!Array.isArray(ops)) throw new PatchError(`json: cannot unmarshal ${kind(ops)} into Go value of type jsonpatch.Patch`);
  for (const op of ops) {
    if (op !== null && (typeof op !== 'object' || Array.isArray(op))) throw new PatchError(`json: cannot unmarshal ${kind(op)} into Go value of type jsonpatch.Operation`);
  }
  return ops;
}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';
const INT64 = 9223372036854775807n;

function decodeKey(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** strconv.Atoi, with its error text. */
function atoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new PatchError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const big = BigInt(text);
  if (big > INT64 || big < -INT64 - 1n) throw new PatchError(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  return Number(big);
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object';

/** Go maps have no prototype: `__proto__` is a key like any other (an assignment would not make it one). */
function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Array lookup with negative indexes; throws the library's error for anything out of range. */
function arrayIndex(array: unknown[], key: string, length = array.length): number {
  let i = atoi(key);
  if (i < 0) {
    if (i < -length) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
    i += length;
  }
  if (i >= length) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
  return i;
}

function get(con: Container, key: string): unknown {
  if (Array.isArray(con)) return con[arrayIndex(con, key)];
  return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
}

/** findObject: the container holding the last segment, or undefined when a step is missing. */
function findObject(doc: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let con: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = get(con, decodeKey(part));
    } catch {
      return undefined;
    }
    if (!isContainer(next)) return undefined;
    con = next;
  }
  return { con, key: decodeKey(split[split.length - 1]!) };
}

function add(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    setKey(con, key, value);
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  let i: number;
  try {
    i = atoi(key);
  } catch (err) {
    throw new PatchError(`value was not a proper array index: '${key}': ${(err as Error).message}`);
  }
  const size = con.length + 1;
  if (i >= size) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
  if (i < 0) {
    if (i < -size) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
    i += size;
  }
  con.splice(i, 0, value);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) throw new PatchError(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete con[key];
    return;
  }
  let i = atoi(key);
  if (i >= con.length) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
  if (i < 0) {
    if (i < -con.length) throw new PatchError(`Unable to access invalid index: ${i}: ${INVALID_INDEX}`);
    i += con.length;
  }
  con.splice(i, 1);
}

function set(con: Container, key: string, value: unknown): void {
  if (Array.isArray(con)) con[arrayIndex(con, key)] = value;
  else setKey(con, key, value);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isContainer(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The operation's path or from as a string, or undefined when absent, null or not a string. */
function stringField(op: Record<string, unknown>, field: 'path' | 'from'): string | undefined {
  const value = op[field];
  return typeof value === 'string' ? value : undefined;
}

function wrapped(prefix: string, run: () => void): void {
  try {
    run();
  } catch (err) {
    throw new PatchError(`${prefix}${(err as Error).message}`);
  }
}

/** Applies `ops` to a deep copy of `doc`; throws PatchError on the first failing operation. */
export function applyJsonPatchV4(doc: unknown, ops: unknown): any {
  const decoded = decodeJsonPatch(ops) ?? [];
  let root = JSON.parse(JSON.stringify(doc)) as Container;
  for (const raw of decoded) {
    const op = (raw ?? {}) as Record<string, unknown>;
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    const value = op.value === undefined ? null : JSON.parse(JSON.stringify(op.value));
    const path = stringField(op, 'path');
    switch (kind) {
      case 'add': {
        if (path === undefined) throw new PatchError(`add operation failed to decode path: ${MISSING}`);
        const target = findObject(root, path);
        if (!target) throw new PatchError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
        wrapped(`error in add for path: '${path}': `, () => add(target.con, target.key, value));
        break;
      }
      case 'remove': {
        if (path === undefined) throw new PatchError(`remove operation failed to decode path: ${MISSING}`);
        const target = findObject(root, path);
        if (!target) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
        wrapped(`error in remove for path: '${path}': `, () => remove(target.con, target.key));
        break;
      }
      case 'replace': {
        if (path === undefined) throw new PatchError(`replace operation failed to decode path: operation missing path field: ${MISSING}`);
        if (path === '') {
          if (!isContainer(value)) throw new PatchError('replace operation value must be object or array: <nil>');
          root = value;
          break;
        }
        const target = findObject(root, path);
        if (!target) throw new PatchError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
        try {
          get(target.con, target.key);
        } catch {
          throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
        }
        set(target.con, target.key, value);
        break;
      }
      case 'move':
      case 'copy': {
        const from = stringField(op, 'from');
        if (from === undefined) throw new PatchError(`${kind} operation failed to decode from: operation, missing from field: ${MISSING}`);
        const source = findObject(root, from);
        if (!source) throw new PatchError(`${kind} operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
        let moved: unknown;
        wrapped(kind === 'move' ? `error in move for path: '${source.key}': ` : `error in copy for from: '${from}': `, () => {
          moved = get(source.con, source.key);
        });
        if (kind === 'move') wrapped(`error in move for path: '${source.key}': `, () => remove(source.con, source.key));
        else moved = JSON.parse(JSON.stringify(moved ?? null));
        if (path === undefined) throw new PatchError(kind === 'move' ? `move operation failed to decode path: operation missing path field: ${MISSING}` : `copy operation failed to decode path: ${MISSING}`);
        const target = findObject(root, path);
        if (!target) throw new PatchError(`${kind} operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
        wrapped(kind === 'move' ? `error in move for path: '${path}': ` : 'error while adding value during copy: ', () => add(target.con, target.key, moved ?? null));
        break;
      }
      case 'test': {
        if (path === undefined) throw new PatchError(`test operation failed to decode path: operation missing path field: ${MISSING}`);
        const fail = () => new PatchError(`testing value ${path} failed: test failed`);
        if (path === '') {
          if (canonical(root) !== canonical(value)) throw fail();
          break;
        }
        const target = findObject(root, path);
        if (!target) throw new PatchError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
        let actual: unknown;
        wrapped(`error in test for path: '${path}': `, () => {
          actual = get(target.con, target.key);
        });
        if (actual === undefined || actual === null) {
          if (value === null) break;
          throw fail();
        }
        if (canonical(actual) !== canonical(value)) throw fail();
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${kind}`);
    }
  }
  return root;
}
