/** JSON patch: diff, apply with the apiserver's semantics, verify. Pure. */
export { applyPatch, PatchApplyError } from './apply.js';
export { diffPatch } from './diff.js';
export { cloneJson, jsonEqual } from './equal.js';
export { constantJson, knownJson, serializePatch, withConstantParts } from './json-text.js';
export { podProblems } from './pod-checks.js';
export type { PatchOperation } from './types.js';
export { verifyPatch } from './verify.js';
