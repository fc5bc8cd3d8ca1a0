/** Small readers of pod metadata shared by the templates. */
import { InjectorError } from '../errors.js';
import { shownValue } from './annotations/shown-value.js';
import type { Pod } from './types.js';

/**
 * The apiserver's limit on all of an object's annotations together, keys and values, in bytes
 * (TotalAnnotationSizeLimitB). It is enforced when the pod is validated, after the webhooks: a
 * review may carry more, but such a pod is refused anyway, so it is refused here before any
 * annotation is parsed. This bounds every annotation value the parsers see.
 */
export const MAX_ANNOTATION_BYTES = 256 * 1024;

/** UTF-8 length: what Go's len() counts. Code units are exact for ASCII and never over a third of it. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Labels and annotations are string maps. YAML written by hand often has unquoted `true` or `9090`;
 * name the field instead of failing somewhere deep. Annotations beyond the apiserver's limit are
 * refused (see {@link MAX_ANNOTATION_BYTES}).
 */
export function assertStringMaps(pod: Pod): void {
  for (const field of ['labels', 'annotations'] as const) {
    const map: unknown = pod.metadata?.[field];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) throw new InjectorError('INVALID_POD', `metadata.${field} must be a map of strings`);
    let units = 0;
    for (const key of Object.keys(map)) {
      const value: unknown = (map as Record<string, unknown>)[key];
      if (typeof value !== 'string') {
        throw new InjectorError('INVALID_POD', `metadata.${field}['${shownValue(key)}'] must be a string, got ${shownValue(JSON.stringify(value) ?? String(value))}: quote it in YAML`);
      }
      units += key.length + value.length;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: counted exactly only when it could matter.
    if (field === 'annotations' && units * 3 > MAX_ANNOTATION_BYTES) {
      const entries = Object.entries(map as Record<string, string>);
      const bytes = entries.reduce((sum, [k, v]) => sum + utf8Bytes(k) + utf8Bytes(v), 0);
      if (bytes > MAX_ANNOTATION_BYTES) {
        throw new InjectorError('INVALID_POD', `metadata.annotations: Too long: must have at most ${MAX_ANNOTATION_BYTES} bytes, these have ${bytes} (the apiserver refuses such a pod)`);
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
