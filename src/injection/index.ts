/**
 * The pure injection engine: no I/O. SCAFFOLD: the signatures below are the contract the
 * webhook and `kube-inject` rely on; the engine behind them is being written.
 */
import type { InjectorConfig } from '../config/index.js';
import { InjectorError } from '../errors.js';
import type { Decision, InjectionRequest, Pod } from './types.js';

export type * from './types.js';

/**
 * Decides whether the pod gets a sidecar, in Istio's order. `webhook` mode honours the injector
 * policy and the always/never selectors; `kube-inject` mode ignores them, as istioctl does.
 */
export function decide(_req: InjectionRequest, _cfg: InjectorConfig, _mode: 'webhook' | 'kube-inject'): Decision {
  throw new InjectorError('INJECTION_FAILED', 'the injection engine is not implemented yet');
}

/** Returns a mutated deep copy of the pod with the sidecar injected. Throws InjectorError. */
export function render(_req: InjectionRequest, _cfg: InjectorConfig): Pod {
  throw new InjectorError('INJECTION_FAILED', 'the injection engine is not implemented yet');
}
