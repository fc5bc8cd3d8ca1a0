/**
 * JSON texts of values that never change, written once. Rendering reuses some objects from one
 * review to the next (parts of the sidecar that depend only on the configuration); those are
 * frozen, deeply, and their JSON text is kept beside them, so the answer's patch splices the text
 * instead of serializing them again on every review. Frozen, a value cannot drift from its text:
 * code that tried to change one would throw instead.
 */
import { BoundedStore } from './bounded-store.js';
import type { PatchOperation } from './types.js';

/**
 * What is kept beside a constant value: its JSON text, and the type it was last verified to
 * decode as (see verify.ts: a value that cannot change need not be checked twice for one type).
 * Held under a symbol, not in a WeakMap: looking it up is a property read, on every object the
 * answer's patch writes. Not enumerable: JSON.stringify, Object.keys, spreads and comparisons
 * never see it.
 */
interface Kept {
  readonly text: string;
  verifiedAs: string | undefined;
  /** The text of the last operation that added the value, with its path (see operationJson). */
  operation: { op: string; path: string; text: string } | undefined;
}

const KEPT: unique symbol = Symbol('kept');

function kept(value: object): Kept | undefined {
  return (value as { [KEPT]?: Kept })[KEPT];
}

/** Keeps the text of `value`, unless it is kept already or cannot take it (frozen elsewhere: it is then written as any value). */
function keep(value: object): void {
  if (kept(value) !== undefined || !Object.isExtensible(value)) return;
  const info: Kept = { text: JSON.stringify(value), verifiedAs: undefined, operation: undefined };
  Object.defineProperty(value, KEPT, { value: info });
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

/**
 * Freezes `value` deeply and keeps its JSON text, and for a list that of each item (items are
 * also taken out one by one, as list items of a pod); returns the value.
 */
export function constantJson<T extends object>(value: T): T {
  keep(value);
  if (Array.isArray(value)) for (const item of value) if (typeof item === 'object' && item !== null) keep(item);
  deepFreeze(value);
  return value;
}

/**
 * For verification: undefined when `value` is no constant value, else whether it was already
 * verified to decode as `code`. A constant value is frozen deeply, so what held once for a type
 * holds for good (see {@link verifiedAs}).
 */
export function constantVerified(value: object, code: string): boolean | undefined {
  const info = kept(value);
  return info === undefined ? undefined : info.verifiedAs === code;
}

/** Remembers that the constant value `value` decodes as `code`. */
export function verifiedAs(value: object, code: string): void {
  const info = kept(value);
  if (info !== undefined) info.verifiedAs = code;
}

/**
 * Marks objects (not frozen) some of whose values may be constant: serialized key by key. A
 * symbol-keyed property rather than a WeakSet: one is marked on every review, and a WeakSet
 * taking new objects costs the garbage collector on each collection of the young generation.
 * Not enumerable: JSON.stringify, Object.keys, spreads and comparisons (deep equality included)
 * never see it.
 */
const COMPOSITE: unique symbol = Symbol('composite');

export function isComposite(value: object): boolean {
  return (value as { [COMPOSITE]?: true })[COMPOSITE] === true;
}

/**
 * Marks an object built with constant parts (a container whose probes, mounts or resources come
 * from the configuration, a list of variables some of which do): its JSON is written key by key
 * (item by item), splicing the kept texts. The object may still change; it is read as it is when
 * serialized.
 */
export function withConstantParts<T extends object>(value: T): T {
  // An object that cannot take the mark is written as any value.
  if (!isComposite(value) && Object.isExtensible(value)) Object.defineProperty(value, COMPOSITE, { value: true });
  return value;
}

/** The kept JSON text of a value made by {@link constantJson}. */
export function knownJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? kept(value)?.text : undefined;
}

/**
 * `JSON.stringify(ops)`, with the kept text of each value that has one (and of each value of a
 * composite). The operations are those of diff.ts: `op`, `path` and `value` in this order, nothing
 * else (an operation with other keys is serialized whole).
 */
export function serializePatch(ops: readonly PatchOperation[]): string {
  quotedTexts.begin(ops.length);
  let out = '[';
  for (let i = 0; i < ops.length; i++) {
    if (i > 0) out += ',';
    out += operationJson(ops[i]!);
  }
  return `${out}]`;
}

function operationJson(op: PatchOperation): string {
  if (!isPlainOperation(op)) return JSON.stringify(op);
  const value = (op as { value: unknown }).value;
  const info = typeof value === 'object' && value !== null ? kept(value) : undefined;
  if (info !== undefined) {
    // The same constant value is usually added at the same path review after review (the
    // configuration's volumes): the operation's text is then reused whole.
    const last = info.operation;
    if (last !== undefined && last.op === op.op && last.path === op.path) return last.text;
    const text = operationText(op, info.text);
    info.operation = { op: op.op, path: op.path, text };
    return text;
  }
  const json = valueJson(value);
  return json === undefined ? JSON.stringify(op) : operationText(op, json);
}

/** A plain operation's text around its value's. */
function operationText(op: PatchOperation, value: string): string {
  return `{"op":${quoted(op.op)},"path":${quoted(op.path)},"value":${value}}`;
}

/** `JSON.stringify(value)` of a JSON value, with kept texts and composites written as above. */
function valueJson(value: unknown): string | undefined {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const text = kept(value)?.text;
  if (text !== undefined) return text;
  if (Array.isArray(value)) return isComposite(value) || hasKeptItem(value) ? listJson(value) : JSON.stringify(value);
  if (!isComposite(value)) return JSON.stringify(value);
  // As JSON.stringify writes an object: own enumerable keys in order, undefined values left out.
  let out = '';
  for (const key of Object.keys(value)) {
    const json = valueJson((value as Record<string, unknown>)[key]);
    if (json === undefined) continue;
    out += out === '' ? `${quoted(key)}:${json}` : `,${quoted(key)}:${json}`;
  }
  return `{${out}}`;
}

/** A list written item by item: a value JSON.stringify cannot write (undefined) becomes null. */
function listJson(list: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += `${i === 0 ? '' : ','}${valueJson(list[i]) ?? 'null'}`;
  return `${out}]`;
}

/** Lists looked into for kept or composite items (the rendered init containers); longer ones are not. */
const MAX_SCANNED_ITEMS = 16;

function hasKeptItem(list: readonly unknown[]): boolean {
  if (list.length > MAX_SCANNED_ITEMS) return false;
  for (const item of list) if (typeof item === 'object' && item !== null && (kept(item) !== undefined || isComposite(item))) return true;
  return false;
}

/** Characters JSON.stringify writes escaped: quote, backslash, controls and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- the control characters are the ones JSON escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`, without the escaping pass for the usual text that needs none. */
export function jsonString(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * The JSON text of the strings written on every review: the keys of composites (the templates' own
 * field names, a small fixed set) and the operations' names and paths (similar pods are patched at
 * the same paths; the diff hands the same path strings out again, see diff.ts). A patch of more
 * than LARGE_PATCH operations is a large pod's, at paths the diff made afresh: quoting them again
 * costs less than hashing them to look them up.
 */
const LARGE_PATCH = 256;
const quotedTexts = new BoundedStore<string>(4096, LARGE_PATCH);

function quoted(text: string): string {
  return quotedTexts.get(text) ?? quotedTexts.keep(text, jsonString(text));
}

function isPlainOperation(op: PatchOperation): boolean {
  let n = 0;
  for (const key in op) {
    if (key !== (n === 0 ? 'op' : n === 1 ? 'path' : 'value')) return false;
    n++;
  }
  return n === 3;
}
