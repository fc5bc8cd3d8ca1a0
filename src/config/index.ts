/**
 * Istio's configuration formats: the injector `values` (JSON), the injector `config` (YAML) and
 * the mesh config (YAML), each applied over Istio's defaults, validated once (every problem listed)
 * and frozen.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InjectorError } from '../errors.js';
import { defaultInjectorSettings, defaultMesh, defaultValues } from './defaults.js';
import { deepFreeze, mergeMesh, mergeValues } from './merge.js';
import { configProblems } from './validate.js';

/** Templates the engine implements itself; the injector config may name them without a body. */
export const BUILTIN_TEMPLATES = ['sidecar', 'gateway', 'grpc-simple', 'grpc-agent'] as const;

/** Everything the engine needs, validated and frozen. */
export interface InjectorConfig {
  readonly values: Readonly<Record<string, any>>;
  readonly mesh: Readonly<Record<string, any>>;
  /** policy, alwaysInjectSelector, neverInjectSelector, injectedAnnotations, defaultTemplates, templates. */
  readonly injector: Readonly<Record<string, any>>;
  /** Where each part came from, for logs (`built-in defaults` or a file path). */
  readonly sources: Readonly<{ values: string; mesh: string; injector: string }>;
  /** Native sidecars unless a request says otherwise (values `pilot.env.ENABLE_NATIVE_SIDECARS`). */
  readonly nativeSidecars?: boolean;
}

export interface ConfigFiles {
  valuesFile?: string;
  meshConfigFile?: string;
  injectConfigFile?: string;
  /** A directory as mounted from the istio-sidecar-injector ConfigMap (`values`, `config`) plus `mesh`. */
  dir?: string;
}

const BUILT_IN = 'built-in defaults';

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds the configuration from parsed layers; throws INVALID_CONFIG listing every problem. */
export function buildConfig(
  layers: { values?: unknown; mesh?: unknown; injector?: unknown },
  sources: { values: string; mesh: string; injector: string } = { values: BUILT_IN, mesh: BUILT_IN, injector: BUILT_IN },
): InjectorConfig {
  const problems: string[] = [];
  const layer = (name: 'values' | 'mesh' | 'injector', value: unknown): Record<string, any> => {
    if (value === undefined || value === null) return {};
    if (isMap(value)) return value;
    problems.push(`${sources[name]}: expected a map at the top level`);
    return {};
  };
  const values = mergeValues(defaultValues(), layer('values', layers.values));
  const mesh = mergeMesh(defaultMesh(), layer('mesh', layers.mesh));
  const injector = { ...defaultInjectorSettings(), ...layer('injector', layers.injector) };
  // Templates defined in values are part of the injector config, as Istio's chart renders them.
  const valueTemplates = values.sidecarInjectorWebhook?.templates;
  if (isMap(valueTemplates) && isMap(injector.templates)) injector.templates = { ...injector.templates, ...valueTemplates };
  for (const key of ['alwaysInjectSelector', 'neverInjectSelector', 'injectedAnnotations', 'templates', 'defaultTemplates'] as const) {
    if (injector[key] === null) injector[key] = key === 'injectedAnnotations' || key === 'templates' ? {} : [];
  }
  problems.push(...configProblems(values, mesh, injector, BUILTIN_TEMPLATES));
  if (problems.length > 0) {
    throw new InjectorError('INVALID_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const env = values.pilot?.env ?? {};
  const native = env.ENABLE_NATIVE_SIDECARS;
  const config: InjectorConfig = { values, mesh, injector, sources, nativeSidecars: native === true || native === 'true' };
  return deepFreeze(config);
}

let defaults: InjectorConfig | undefined;

/** Istio's built-in defaults: no file is needed to start. */
export function defaultConfig(): InjectorConfig {
  defaults ??= buildConfig({});
  return defaults;
}

async function readLayer(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InjectorError('CONFIG_NOT_FOUND', `cannot read configuration file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    // YAML 1.2 is a superset of JSON, so the values file may be either.
    return parseYaml(text);
  } catch (err) {
    throw new InjectorError('INVALID_CONFIG', `${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
}

async function existing(path: string): Promise<string | undefined> {
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Loads and validates the given files over the defaults; lists every problem in one error. */
export async function loadConfig(files: ConfigFiles): Promise<InjectorConfig> {
  let { valuesFile, meshConfigFile, injectConfigFile } = files;
  if (files.dir !== undefined) {
    valuesFile ??= await existing(join(files.dir, 'values'));
    injectConfigFile ??= await existing(join(files.dir, 'config'));
    meshConfigFile ??= await existing(join(files.dir, 'mesh'));
  }
  const [values, mesh, injector] = await Promise.all([valuesFile, meshConfigFile, injectConfigFile].map((f) => (f === undefined ? undefined : readLayer(f))));
  return buildConfig({ values, mesh, injector }, { values: valuesFile ?? BUILT_IN, mesh: meshConfigFile ?? BUILT_IN, injector: injectConfigFile ?? BUILT_IN });
}
