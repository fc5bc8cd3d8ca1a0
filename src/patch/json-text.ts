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

/** Freezes `value` deeply and keeps its JSON text; returns the value. */
export function constantJson<T extends object>(value: T): T {
  deepFreeze(value);
  texts.set(value, JSON.stringify(value));
  return value;
}

/** The kept JSON text of a value made by {@link constantJson}. */
export function knownJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}

/**
 * `JSON.stringify(ops)`, with the kept text of each value that has one. The operations are those
 * of diff.ts: `op`, `path` and `value` in this order, nothing else (an operation with other keys,
 * or without a kept value, is serialized whole).
 */
export function serializePatch(ops: readonly PatchOperation[]): string {
  let out = '[';
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const text = knownJson((op as { value?: unknown }).value);
    if (i > 0) out += ',';
    if (text === undefined || !isPlainOperation(op)) out += JSON.stringify(op);
    else out += `{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":${text}}`;
  }
  return `${out}]`;
}

function isPlainOperation(op: PatchOperation): boolean {
  let n = 0;
  for (const key in op) {
    if (key !== (n === 0 ? 'op' : n === 1 ? 'path' : 'value')) return false;
    n++;
  }
  return n === 3;
}
