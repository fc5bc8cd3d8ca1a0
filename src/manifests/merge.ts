/** Helm's values semantics: a values file overrides the defaults key by key; lists replace. */
import { InjectorError } from '../errors.js';
import { setOwn } from '../patch/equal.js';
import type { InstallValues } from './values.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === null ? base : structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) setOwn(out, k, Object.hasOwn(base, k) ? merge(base[k], v) : structuredClone(v));
  return out;
}

/**
 * Overlays `overrides` (a parsed values file) on `base`; refuses keys the chart does not know, so a
 * typo cannot be ignored silently (the chart's values.schema.json does the same for Helm).
 */
export function mergeValues(base: InstallValues, overrides: unknown, source: string): InstallValues {
  if (!isPlainObject(overrides)) throw new InjectorError('USAGE', `values file '${source}': expected a mapping at the top level`);
  const unknown = unknownKeys(base as unknown as Record<string, unknown>, overrides, '');
  if (unknown.length > 0) throw new InjectorError('USAGE', `values file '${source}': unknown key(s) ${unknown.join(', ')}`);
  return merge(base, overrides) as InstallValues;
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
