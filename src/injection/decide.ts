/**
 * Whether a pod gets a sidecar, with Istio's rules in Istio's order. The namespace label
 * (`istio-injection=enabled`) is not checked here: the apiserver's namespaceSelector already did.
 */
import type { InjectorConfig } from '../config/index.js';
import { selectorMatches, type LabelSelector } from './label-selector.js';
import { assertStringMaps } from './meta.js';
import type { Decision, InjectionRequest } from './types.js';

export const INJECT_LABEL = 'sidecar.istio.io/inject';
/** Namespaces Istio never injects into. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

/** Decides in `webhook` mode (policy and selectors apply) or `kube-inject` mode (they do not). */
export function decide(req: InjectionRequest, cfg: InjectorConfig, mode: 'webhook' | 'kube-inject'): Decision {
  assertStringMaps(req.pod);
  const meta = req.pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  if (req.pod.spec?.hostNetwork === true) {
    return { inject: false, reason: 'host-network', message: 'the pod uses the host network (hostNetwork: true)' };
  }
  // kube-inject, like istioctl, looks only at the pod (template)'s own namespace: a Deployment in
  // kube-system whose template names no namespace is injected.
  const namespace = mode === 'kube-inject' ? (meta.namespace ?? '') : meta.namespace || req.namespace;
  if (SYSTEM_NAMESPACES.includes(namespace)) {
    return { inject: false, reason: 'system-namespace', message: `namespace '${namespace}' is a system namespace` };
  }

  const fromLabel = Object.prototype.hasOwnProperty.call(labels, INJECT_LABEL);
  const explicit = fromLabel ? labels[INJECT_LABEL]! : (annotations[INJECT_LABEL] ?? '');
  const source = fromLabel ? 'label' : 'annotation';
  // Exactly "true" or "false"; any other value (`yes`, `no`, `False`...) falls back to the default
  // policy, as in Istio (which logs "Only 'true' and 'false' are accepted").
  if (explicit === 'true') return { inject: true, reason: `${source}-opt-in` };
  if (explicit === 'false') {
    return {
      inject: false,
      reason: fromLabel ? 'label-opt-out' : 'annotation-opt-out',
      message: `the pod's ${source} ${INJECT_LABEL} is 'false'`,
    };
  }
  if (mode === 'kube-inject') return { inject: true, reason: 'default' };

  const injector = cfg.injector as { policy?: string; neverInjectSelector?: LabelSelector[]; alwaysInjectSelector?: LabelSelector[] };
  const never = (injector.neverInjectSelector ?? []).findIndex((s) => selectorMatches(s, labels));
  if (never >= 0) {
    return { inject: false, reason: 'never-inject-selector', message: `the pod's labels match neverInjectSelector[${never}]` };
  }
  if ((injector.alwaysInjectSelector ?? []).some((s) => selectorMatches(s, labels))) return { inject: true, reason: 'always-inject-selector' };
  if (injector.policy === 'disabled') {
    return { inject: false, reason: 'policy-disabled', message: `injection policy is 'disabled' and the pod does not set ${INJECT_LABEL}: "true"` };
  }
  return { inject: true, reason: 'policy-enabled' };
}
