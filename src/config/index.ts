/**
 * Istio's configuration formats: the injector `values` (JSON), the injector `config` (YAML) and
 * the mesh config (YAML). SCAFFOLD: the loader and defaults are being written; the signatures
 * below are the contract the server and the CLI rely on.
 */
import { InjectorError } from '../errors.js';

/** Everything the engine needs, validated and frozen. */
export interface InjectorConfig {
  readonly values: Readonly<Record<string, any>>;
  readonly mesh: Readonly<Record<string, any>>;
  readonly injector: Readonly<Record<string, any>>;
  /** Where each part came from, for logs (`built-in defaults` or a file path). */
  readonly sources: Readonly<{ values: string; mesh: string; injector: string }>;
}

export interface ConfigFiles {
  valuesFile?: string;
  meshConfigFile?: string;
  injectConfigFile?: string;
  /** A directory as mounted from the istio-sidecar-injector ConfigMap (`values`, `config`) plus `mesh`. */
  dir?: string;
}

/** Istio's built-in defaults: no file is needed to start. */
export function defaultConfig(): InjectorConfig {
  throw new InjectorError('INVALID_CONFIG', 'configuration defaults are not implemented yet');
}

/** Loads and validates the given files over the defaults; lists every problem in one error. */
export async function loadConfig(_files: ConfigFiles): Promise<InjectorConfig> {
  throw new InjectorError('INVALID_CONFIG', 'configuration loading is not implemented yet');
}
