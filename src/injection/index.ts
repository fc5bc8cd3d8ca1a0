/**
 * The pure injection engine: no I/O. `decide` says whether a pod gets a sidecar and why;
 * `render` returns the injected pod. The webhook and `kube-inject` share both.
 */
export type * from './types.js';
export { decide, INJECT_LABEL, SYSTEM_NAMESPACES } from './decide.js';
export { renderPod as render, STATUS_ANNOTATION } from './render.js';
