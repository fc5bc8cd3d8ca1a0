/** Small readers of pod metadata shared by the templates. */
import { InjectorError } from '../errors.js';
import type { Pod } from './types.js';

/**
 * Labels and annotations are string maps. YAML written by hand often has unquoted `true` or `9090`;
 * name the field instead of failing somewhere deep.
 */
export function assertStringMaps(pod: Pod): void {
  for (const field of ['labels', 'annotations'] as const) {
    const map: unknown = pod.metadata?.[field];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) throw new InjectorError('INVALID_POD', `metadata.${field} must be a map of strings`);
    for (const key of Object.keys(map)) {
      const value: unknown = (map as Record<string, unknown>)[key];
      if (typeof value !== 'string') {
        throw new InjectorError('INVALID_POD', `metadata.${field}['${key}'] must be a string, got ${JSON.stringify(value)}: quote it in YAML`);
      }
    }
  }
}

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
