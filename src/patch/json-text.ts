/**
 * JSON texts of values that never change, written once. Rendering reuses some objects from one
 * review to the next (parts of the sidecar that depend only on the configuration); those are
 * frozen, deeply, and their JSON text is kept beside them, so the answer's patch splices the text
 * instead of serializing them again on every review. Frozen, a value cannot drift from its text:
 * code that tried to change one would throw instead.
 */
import type { PatchOperation } from './types.js';

const texts = new WeakMap<object, string>();

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
  deepFreeze(value);
  texts.set(value, JSON.stringify(value));
  if (Array.isArray(value)) for (const item of value) if (typeof item === 'object' && item !== null) texts.set(item, JSON.stringify(item));
  return value;
}

/** Objects (not frozen) some of whose values may be constant: serialized key by key. */
const composites = new WeakSet<object>();

/**
 * Marks an object built with constant parts (a container whose probes, mounts or resources come
 * from the configuration): its JSON is written key by key, splicing the kept texts. The object
 * may still change; it is read as it is when serialized.
 */
export function withConstantParts<T extends object>(value: T): T {
  composites.add(value);
  return value;
}

/** The kept JSON text of a value made by {@link constantJson}. */
export function knownJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}

/**
 * `JSON.stringify(ops)`, with the kept text of each value that has one (and of each value of a
 * composite). The operations are those
 * of diff.ts: `op`, `path` and `value` in this order, nothing else (an operation with other keys,
 * or without a kept value, is serialized whole).
 */
export function serializePatch(ops: readonly PatchOperation[]): string {
  let out = '[';
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const value = (op as { value?: unknown }).value;
    const text = typeof value === 'object' && value !== null && (texts.has(value) || composites.has(value)) ? valueJson(value) : undefined;
    if (i > 0) out += ',';
    if (text === undefined || !isPlainOperation(op)) out += JSON.stringify(op);
    else out += `{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":${text}}`;
  }
  return `${out}]`;
}

/** `JSON.stringify(value)` of a JSON value, with kept texts and composites written as above. */
function valueJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const text = texts.get(value);
  if (text !== undefined) return text;
  if (!composites.has(value) || Array.isArray(value)) return JSON.stringify(value);
  // As JSON.stringify writes an object: own enumerable keys in order, undefined values left out.
  let out = '{';
  for (const key of Object.keys(value)) {
    const json = valueJson((value as Record<string, unknown>)[key]);
    if (json === undefined) continue;
    out += `${out === '{' ? '' : ','}${JSON.stringify(key)}:${json}`;
  }
  return `${out}}`;
}

function isPlainOperation(op: PatchOperation): boolean {
  let n = 0;
  for (const key in op) {
    if (key !== (n === 0 ? 'op' : n === 1 ? 'path' : 'value')) return false;
    n++;
  }
  return n === 3;
}
