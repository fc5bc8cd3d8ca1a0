/**
 * Verifies a patch before it is sent: applied to the pod as received with the apiserver's
 * semantics, it must yield exactly the pod we rendered, every value it writes must have the type
 * the apiserver decodes (a wrong one fails the pod's creation), and it must not introduce a problem
 * the apiserver's pod validation would refuse.
 */
import { InjectorError } from '../errors.js';
import { applyPatch, PatchApplyError } from './apply.js';
import { jsonEqual } from './equal.js';
import { podValueProblem } from './go-types.js';
import { parsePointer } from './pointer.js';
import { podProblems } from './pod-checks.js';
import type { PatchOperation } from './types.js';

/** Throws InjectorError('PATCH_VERIFICATION_FAILED') with the reason when the patch is unsafe. */
export function verifyPatch(original: unknown, ops: readonly PatchOperation[], expected: unknown): void {
  const pointers = ops.map((op) => parsePointer(op.path));
  ops.forEach((op, i) => {
    if (op.op === 'remove') return;
    const problem = podValueProblem(pointers[i]!, op.value);
    if (problem !== undefined) {
      throw new InjectorError('PATCH_VERIFICATION_FAILED', `patch writes a value the apiserver cannot decode at ${op.path}: ${problem}`);
    }
  });
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
  const before = new Set(podProblems(original));
  const introduced = podProblems(patched).filter((problem) => !before.has(problem));
  if (introduced.length > 0) {
    throw new InjectorError('PATCH_VERIFICATION_FAILED', `patched pod would be refused by the apiserver: ${introduced.join('; ')}`);
  }
}
