/**
 * Helm's values semantics: a values file overrides the defaults key by key; lists replace; `null`
 * removes a key of the defaults (a null under a key the defaults lack is kept, as Helm keeps it).
 */
import { InjectorError } from '../errors.js';
import { setOwn } from '../patch/equal.js';
import type { InstallValues } from './values.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null && Object.hasOwn(base, k)) delete out[k];
    else setOwn(out, k, Object.hasOwn(base, k) ? merge(base[k], v) : structuredClone(v));
  }
  return out;
}

/**
 * The keys values.schema.json lets a values file remove (with `null`), and what the templates make
 * of their absence. Any other key of the defaults is required by the schema, so Helm refuses to
 * render without it; a unit test keeps this list and the schema's `required` lists in step.
 * `undefined`: the key stays absent (the template renders nothing for it).
 */
export const REMOVABLE_KEYS: Readonly<Record<string, () => unknown>> = {
  fullnameOverride: () => '',
  imagePullSecrets: () => [],
  resources: () => ({}),
  'resources.requests': () => undefined,
  'resources.limits': () => undefined,
  nodeSelector: () => ({}),
  tolerations: () => [],
  'service.externalName': () => '',
  'webhook.excludedNamespaces': () => [],
  'certificates.secretName': () => '',
  'certificates.caBundle': () => '',
  'certificates.certManager': () => ({ issuerRef: {} }),
  'certificates.certManager.issuerRef': () => ({}),
  'certificates.certManager.duration': () => undefined,
  'certificates.certManager.renewBefore': () => undefined,
  'config.values': () => ({}),
  'config.config': () => ({}),
  'config.mesh': () => ({}),
};

/**
 * Overlays `overrides` (a parsed values file) on `base`; refuses keys the chart does not know, so a
 * typo cannot be ignored silently (the chart's values.schema.json does the same for Helm), and the
 * removal of a key the chart requires.
 */
export function mergeValues(base: InstallValues, overrides: unknown, source: string): InstallValues {
  if (!isPlainObject(overrides)) throw new InjectorError('USAGE', `values file '${source}': expected a mapping at the top level`);
  const unknown = unknownKeys(base as unknown as Record<string, unknown>, overrides, '');
  if (unknown.length > 0) throw new InjectorError('USAGE', `values file '${source}': unknown key(s) ${unknown.join(', ')}`);
  const merged = merge(base, overrides) as Record<string, unknown>;
  const missing = restoreRemoved(base as unknown as Record<string, unknown>, merged, '');
  if (missing.length > 0) throw new InjectorError('USAGE', `values file '${source}': ${missing.join(', ')} cannot be null: the chart requires ${missing.length > 1 ? 'them' : 'it'}`);
  return merged as unknown as InstallValues;
}

// Free-form maps where any key is allowed.
const OPEN = new Set(['resources.requests', 'resources.limits', 'nodeSelector', 'certificates.certManager.issuerRef', 'config.values', 'config.config', 'config.mesh']);

function unknownKeys(base: Record<string, unknown>, over: Record<string, unknown>, prefix: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(over)) {
    const path = prefix + k;
    if (!Object.hasOwn(base, k)) out.push(path);
    else if (!OPEN.has(path) && isPlainObject(base[k]) && isPlainObject(v)) out.push(...unknownKeys(base[k], v, path + '.'));
  }
  return out;
}

/** Gives removed keys the meaning the templates give their absence; returns the required ones removed. */
function restoreRemoved(base: Record<string, unknown>, merged: Record<string, unknown>, prefix: string): string[] {
  const missing: string[] = [];
  for (const [k, v] of Object.entries(base)) {
    const path = prefix + k;
    if (!(k in merged)) {
      const empty = REMOVABLE_KEYS[path];
      if (empty === undefined) missing.push(path);
      else if (empty() !== undefined) merged[k] = empty();
    } else if (!OPEN.has(path) && isPlainObject(v) && isPlainObject(merged[k])) {
      missing.push(...restoreRemoved(v, merged[k], path + '.'));
    }
  }
  return missing;
}
