/**
 * Verifies a patch before it is sent: applied to the pod as received with the apiserver's
 * semantics, it must yield exactly the pod we rendered, every value it writes must have the type
 * the apiserver decodes (a wrong one fails the pod's creation), and it must not introduce a problem
 * the apiserver's pod validation would refuse.
 */
import { InjectorError } from '../errors.js';
import { applyPatch, PatchApplyError } from './apply.js';
import { BoundedStore } from './bounded-store.js';
import { jsonEqual } from './equal.js';
import { constantVerified, isComposite, verifiedAs } from './json-text.js';
import { podTypes } from './go-types.js';
import { parsePointer } from './pointer.js';
import { podProblems } from './pod-checks.js';
import type { PatchOperation } from './types.js';

/**
 * What verification needs of an operation's path: its segments and the Pod type a value written
 * there decodes as. Reviews of similar pods patch the same paths (`/spec/containers/1`,
 * `/spec/volumes/0`...), and the replicas of a large pod the same thousands of paths: both are
 * kept, for working a path out again costs several times a lookup.
 */
type PathInfo = { segments: readonly string[]; code: string | undefined };
const paths = new BoundedStore<PathInfo>(4096);

function pathInfo(path: string): PathInfo {
  const info = paths.get(path);
  if (info !== undefined) return info;
  const segments = parsePointer(path);
  return paths.keep(path, { segments, code: podTypes.codeAt('Pod', segments) });
}

/**
 * Whether `value` decodes as `code`, as `podTypes.accepts` answers, without checking again the
 * constant parts of the sidecar (frozen: one verified for a type once stays so). A composite (the
 * rendered proxy, its variables) is taken apart as the generated check does: list items, none
 * null; struct fields by name, null ones and those Go drops skipped.
 */
function decodes(value: unknown, code: string): boolean {
  if (typeof value !== 'object' || value === null) return podTypes.accepts(value, code);
  const verified = constantVerified(value, code);
  if (verified === true) return true;
  if (verified === false) {
    if (!podTypes.accepts(value, code)) return false;
    verifiedAs(value, code);
    return true;
  }
  if (!isComposite(value)) return podTypes.accepts(value, code);
  if (code.startsWith('[]')) {
    if (!Array.isArray(value)) return false;
    const item = code.slice(2);
    for (let i = 0; i < value.length; i++) if (value[i] === null || !decodes(value[i], item)) return false;
    return true;
  }
  if (Array.isArray(value) || !podTypes.isStruct(code)) return podTypes.accepts(value, code);
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (field === null) continue;
    const fieldCode = podTypes.fieldCode(code, key);
    if (fieldCode !== undefined && !decodes(field, fieldCode)) return false;
  }
  return true;
}

/** Throws InjectorError('PATCH_VERIFICATION_FAILED') with the reason when the patch is unsafe. */
export function verifyPatch(original: unknown, ops: readonly PatchOperation[], expected: unknown): void {
  const pointers: Array<readonly string[]> = [];
  for (const op of ops) {
    const { segments, code } = pathInfo(op.path);
    pointers.push(segments);
    if (op.op === 'remove' || code === undefined || (op.value !== null && decodes(op.value, code))) continue;
    const problem = op.value === null ? `expected ${podTypes.expected(code)}, got null` : podTypes.problem(op.value, code);
    throw new InjectorError('PATCH_VERIFICATION_FAILED', `patch writes a value the apiserver cannot decode at ${op.path}: ${problem}`);
  }
  let patched: unknown;
  try {
    patched = applyPatch(original, ops, pointers);
  } catch (err) {
    if (err instanceof PatchApplyError) throw new InjectorError('PATCH_VERIFICATION_FAILED', `patch does not apply: ${err.message}`);
    throw err;
  }
  if (!jsonEqual(patched, expected)) {
    throw new InjectorError('PATCH_VERIFICATION_FAILED', 'patch applied to the pod does not produce the rendered pod');
  }
  // The pod as received is examined only when the patched one has problems: those it had
  // already are not ours to refuse.
  const after = podProblems(patched);
  if (after.length === 0) return;
  const before = new Set(podProblems(original));
  const introduced = after.filter((problem) => !before.has(problem));
  if (introduced.length > 0) {
    throw new InjectorError('PATCH_VERIFICATION_FAILED', `patched pod would be refused by the apiserver: ${introduced.join('; ')}`);
  }
}
