/**
 * Verifies a patch before it is sent: applied to the pod as received with the apiserver's
 * semantics, it must yield exactly the pod we rendered, every value it writes must have the type
 * the apiserver decodes (a wrong one fails the pod's creation), and it must not introduce a problem
 * the apiserver's pod validation would refuse.
 */
import { InjectorError } from '../errors.js';
import { applyPatch, PatchApplyError } from './apply.js';
import { jsonEqual } from './equal.js';
import { podTypes } from './go-types.js';
import { parsePointer } from './pointer.js';
import { podProblems } from './pod-checks.js';
import type { PatchOperation } from './types.js';

/**
 * What verification needs of an operation's path: its segments and the Pod type a value written
 * there decodes as. Reviews of similar pods patch the same paths (`/spec/containers/1`,
 * `/spec/volumes/0`...), so both are kept, for a bounded number of short paths.
 */
const paths = new Map<string, { segments: readonly string[]; code: string | undefined }>();
const MAX_PATHS = 4096;
const MAX_PATH_CHARS = 512;

function pathInfo(path: string): { segments: readonly string[]; code: string | undefined } {
  let info = paths.get(path);
  if (info === undefined) {
    const segments = parsePointer(path);
    info = { segments, code: podTypes.codeAt('Pod', segments) };
    if (path.length <= MAX_PATH_CHARS) {
      if (paths.size >= MAX_PATHS) paths.clear();
      paths.set(path, info);
    }
  }
  return info;
}

/** Throws InjectorError('PATCH_VERIFICATION_FAILED') with the reason when the patch is unsafe. */
export function verifyPatch(original: unknown, ops: readonly PatchOperation[], expected: unknown): void {
  const pointers: Array<readonly string[]> = [];
  for (const op of ops) {
    const { segments, code } = pathInfo(op.path);
    pointers.push(segments);
    if (op.op === 'remove' || code === undefined || (op.value !== null && podTypes.accepts(op.value, code))) continue;
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
