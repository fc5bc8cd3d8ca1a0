/**
 * Injector settings for differential fuzzing, taken from the conformance corpus (read at run time
 * from the kit beside the repository, never copied into it): the baseline case's values, mesh
 * config and injector config (master's templates), and every variation some case makes of them.
 * Values variations are kept as leaf edits over the baseline, so two can be combined; mesh and
 * injector configs are taken whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/** The corpus case whose settings are the baseline (master-templates config, no changes). */
export const BASELINE_CASE = 'hello';

/** One edit of the values: a path and the value the case puts there (null included). */
interface Leaf {
  path: string[];
  value: unknown;
}

/** How one corpus case's values differ from the baseline's. */
export interface ValuesVariant {
  /** The corpus cases with this variation (for reports). */
  cases: string[];
  leaves: Leaf[];
  /** The injector config that comes with it (custom templates), when not the baseline's. */
  config?: string;
}

export interface Corpus {
  values: Record<string, unknown>;
  mesh: string;
  config: string;
  valuesVariants: ValuesVariant[];
  /** Mesh configs other than the baseline's, with the cases that use them. */
  meshVariants: { cases: string[]; text: string }[];
}

/** The settings of one generated case, as indexes into the corpus (so that they shrink). */
export interface SettingsChoice {
  values: number[];
  mesh: number;
  native: boolean;
}

/** The texts of the three files, as both injectors read them, and the native-sidecars flag. */
export interface Settings {
  values: string;
  mesh: string;
  config: string;
  nativeSidecars: boolean;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The leaves of `value` that differ from `base` (lists and scalars are leaves). */
function leafEdits(base: unknown, value: unknown, path: string[] = [], out: Leaf[] = []): Leaf[] {
  if (isMap(base) && isMap(value)) {
    for (const key of Object.keys(value)) leafEdits(base[key], value[key], [...path, key], out);
    return out;
  }
  if (JSON.stringify(base) !== JSON.stringify(value)) out.push({ path, value });
  return out;
}

/** Reads the corpus' settings: the baseline and each distinct variation. */
export function loadCorpus(casesDir: string): Corpus {
  const read = (name: string, file: string) => readFileSync(join(casesDir, name, file), 'utf8');
  const values = JSON.parse(read(BASELINE_CASE, 'values.json')) as Record<string, unknown>;
  const mesh = read(BASELINE_CASE, 'mesh.yaml');
  const config = read(BASELINE_CASE, 'config.yaml');
  const valuesVariants = new Map<string, ValuesVariant>();
  const meshVariants = new Map<string, { cases: string[]; text: string }>();
  for (const name of readdirSync(casesDir).sort()) {
    if (!existsSync(join(casesDir, name, 'values.json'))) continue;
    const caseConfig = read(name, 'config.yaml');
    const leaves = leafEdits(values, JSON.parse(read(name, 'values.json')));
    if (leaves.length > 0 || caseConfig !== config) {
      const key = JSON.stringify([leaves, caseConfig === config ? '' : caseConfig]);
      const variant = valuesVariants.get(key) ?? { cases: [], leaves, ...(caseConfig === config ? {} : { config: caseConfig }) };
      variant.cases.push(name);
      valuesVariants.set(key, variant);
    }
    const caseMesh = read(name, 'mesh.yaml');
    if (caseMesh !== mesh) {
      const variant = meshVariants.get(caseMesh) ?? { cases: [], text: caseMesh };
      variant.cases.push(name);
      meshVariants.set(caseMesh, variant);
    }
  }
  return { values, mesh, config, valuesVariants: [...valuesVariants.values()], meshVariants: [...meshVariants.values()] };
}

/**
 * Settings choices: the baseline half of the time; else up to two values variations (at most one
 * with its own injector config) and a mesh variation; native sidecars on or off.
 */
export function settingsChoice(corpus: Corpus): fc.Arbitrary<SettingsChoice> {
  const n = corpus.valuesVariants.length;
  const withConfig = new Set(corpus.valuesVariants.flatMap((v, i) => (v.config === undefined ? [] : [i])));
  const values = fc
    .oneof({ weight: 1, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: 2 }) })
    .map((list) => list.filter((v, i) => !withConfig.has(v) || !list.slice(0, i).some((w) => withConfig.has(w))));
  const mesh = fc.oneof({ weight: 2, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(corpus.meshVariants.length - 1) });
  return fc.record({ values, mesh, native: fc.boolean() });
}

/** The files' texts for a choice. */
export function materialise(corpus: Corpus, choice: SettingsChoice): Settings {
  const values = structuredClone(corpus.values);
  let config = corpus.config;
  for (const index of choice.values) {
    const variant = corpus.valuesVariants[index]!;
    for (const { path, value } of variant.leaves) {
      let node: Record<string, unknown> = values;
      for (const key of path.slice(0, -1)) {
        if (!isMap(node[key])) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      node[path[path.length - 1]!] = structuredClone(value);
    }
    if (variant.config !== undefined) config = variant.config;
  }
  const mesh = choice.mesh < 0 ? corpus.mesh : corpus.meshVariants[choice.mesh]!.text;
  return { values: `${JSON.stringify(values, null, 2)}\n`, mesh, config, nativeSidecars: choice.native };
}

/** Which corpus cases a choice's settings come from, in words. */
export function describeChoice(corpus: Corpus, choice: SettingsChoice): string {
  const parts = choice.values.map((i) => `values of ${corpus.valuesVariants[i]!.cases[0]}`);
  if (choice.mesh >= 0) parts.push(`mesh of ${corpus.meshVariants[choice.mesh]!.cases[0]}`);
  parts.push(`native sidecars ${choice.native}`);
  return parts.length === 1 ? `baseline, ${parts[0]}` : parts.join(', ');
}

/** A stable key of settings (for grouping and caching). */
export function settingsKey(settings: Settings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

/** Writes the settings as the three files the CLIs read; returns their paths. */
export function writeSettings(dir: string, settings: Settings): { valuesFile: string; meshConfigFile: string; injectConfigFile: string } {
  mkdirSync(dir, { recursive: true });
  const files = { valuesFile: join(dir, 'values.json'), meshConfigFile: join(dir, 'mesh.yaml'), injectConfigFile: join(dir, 'config.yaml') };
  writeFileSync(files.valuesFile, settings.values);
  writeFileSync(files.meshConfigFile, settings.mesh);
  writeFileSync(files.injectConfigFile, settings.config);
  return files;
}
