/** Merge rules of Istio's configuration layers. */
import { setOwn } from '../patch/equal.js';

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm-style values merge: maps merge recursively; lists, scalars and null replace. */
export function mergeValues(base: Record<string, any>, overlay: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    setOwn(out, key, isMap(value) && Object.hasOwn(base, key) && isMap(base[key]) ? mergeValues(base[key], value) : value);
  }
  return out;
}

/**
 * Mesh file over mesh defaults, as Istio applies it: top-level fields replace; `defaultConfig`
 * merges field by field (`proxyMetadata` key by key); `extensionProviders` replace a default of the
 * same name and append the others; `defaultProviders` merge.
 */
export function mergeMesh(base: Record<string, any>, overlay: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (key === 'defaultConfig' && isMap(value)) {
      const merged: Record<string, any> = { ...base.defaultConfig, ...value };
      if (isMap(value.proxyMetadata) || isMap(base.defaultConfig?.proxyMetadata)) {
        merged.proxyMetadata = { ...base.defaultConfig?.proxyMetadata, ...value.proxyMetadata };
      }
      out.defaultConfig = merged;
    } else if (key === 'extensionProviders' && Array.isArray(value)) {
      const providers = [...(base.extensionProviders ?? [])];
      for (const provider of value) {
        const at = providers.findIndex((p: any) => p?.name === provider?.name);
        if (at >= 0) providers[at] = provider;
        else providers.push(provider);
      }
      out.extensionProviders = providers;
    } else if (key === 'defaultProviders' && isMap(value)) {
      out.defaultProviders = { ...base.defaultProviders, ...value };
    } else {
      setOwn(out, key, value);
    }
  }
  return out;
}

/** Freezes a JSON value and everything under it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
