/** Small readers of pod metadata shared by the templates. */
import type { Pod } from './types.js';

/** Istio's `annotation` template function: the pod's annotation, else the default, as a string. */
export function annotationOr(annotations: Record<string, string>, key: string, fallback: unknown): string {
  const value = annotations[key];
  if (value !== undefined) return value;
  return fallback === undefined || fallback === null ? '' : String(fallback);
}

/** Names of the app containers: every container except istio-proxy. */
export function appContainerNames(pod: Pod): string[] {
  const containers = (pod.spec?.containers ?? []) as Array<{ name?: string }>;
  return containers.map((c) => c.name ?? '').filter((name) => name !== 'istio-proxy');
}

/** Helm's `trunc 63 | trimAll "-_."`. */
export function canonicalName(name: string): string {
  return name.slice(0, 63).replace(/^[-_.]+|[-_.]+$/g, '');
}
