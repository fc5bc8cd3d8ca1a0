/**
 * Verifies a patch before it is sent: applied to the pod as received with the apiserver's
 * semantics, it must yield exactly the pod we rendered, and must not introduce a problem the
 * apiserver's pod validation would refuse.
 */
import { InjectorError } from '../errors.js';
import { applyPatch, PatchApplyError } from './apply.js';
import { jsonEqual } from './equal.js';
import { podProblems } from './pod-checks.js';
import type { PatchOperation } from './types.js';

/** Throws InjectorError('PATCH_VERIFICATION_FAILED') with the reason when the patch is unsafe. */
export function verifyPatch(original: unknown, ops: readonly PatchOperation[], expected: unknown): void {
  let patched: unknown;
  try {
    patched = applyPatch(original, ops);
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
