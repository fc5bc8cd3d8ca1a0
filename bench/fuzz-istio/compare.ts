/**
 * Compares two injectors' outcomes for one document the way the conformance scorer compares a
 * case with its golden, except that outputs are read as Kubernetes tools read them (go-yaml, so
 * that `yes` or `1e3` written unquoted is not the string it was): multi-document YAML, empty
 * documents dropped, maps compared without regard to key order, lists in order, scalars by type
 * and value (strings exactly, JSON carried in strings included). Lists whose elements all have a
 * unique name are matched by name, so one extra container does not make every later one differ.
 */
import { parseGoYamlDocuments, toJsonValue } from '../../src/injection/go-yaml.js';
import type { Outcome } from './injectors.js';

export interface Difference {
  /** Where: `$[0].spec.containers[name=istio-proxy].env[name=X].value`. */
  path: string;
  /** The same path with the app's own names replaced, so that one cause gives one signature. */
  generic: string;
  istio?: unknown;
  ours?: unknown;
}

export type Verdict =
  | { kind: 'same' }
  | { kind: 'istio-refused'; istioError: string }
  | { kind: 'we-refused'; ourError: string }
  | { kind: 'we-crashed'; ourError: string }
  | { kind: 'istio-crashed'; istioError: string }
  | { kind: 'output'; differences: Difference[] }
  | { kind: 'unreadable-output'; which: 'istio' | 'ours'; message: string };

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a multi-document output as go-yaml reads it; null and empty documents are dropped. */
export function parseDocuments(text: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseGoYamlDocuments(text)) {
    if (doc.error !== undefined) throw new Error(doc.error);
    const value = toJsonValue(doc.value);
    if (value === null || value === undefined || value === '' || (isMap(value) && Object.keys(value).length === 0)) continue;
    out.push(value);
  }
  return out;
}

/**
 * An output's documents: as Kubernetes' own YAML reader read them (the peer's), when it did;
 * else parsed here with go-yaml's rules.
 */
export function documentsOf(outcome: { output: string; documents?: unknown[]; unreadable?: string }): unknown[] {
  if (outcome.unreadable !== undefined) throw new Error(outcome.unreadable);
  return outcome.documents ?? parseDocuments(outcome.output);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

const ISTIO_NAMES = new Set(['istio-proxy', 'istio-init', 'istio-validation']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function keySegment(key: string): string {
  return IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function uniqueNames(list: unknown[]): boolean {
  const seen = new Set<string>();
  return list.every((el) => isMap(el) && typeof el.name === 'string' && !seen.has(el.name) && seen.add(el.name));
}

function diff(istio: unknown, ours: unknown, path: string, generic: string, out: Difference[]): void {
  if (equal(istio, ours)) return;
  if (isMap(istio) && isMap(ours)) {
    for (const key of [...new Set([...Object.keys(istio), ...Object.keys(ours)])].sort()) {
      const seg = keySegment(key);
      if (!Object.hasOwn(ours, key)) out.push({ path: path + seg, generic: generic + seg, istio: istio[key] });
      else if (!Object.hasOwn(istio, key)) out.push({ path: path + seg, generic: generic + seg, ours: ours[key] });
      else diff(istio[key], ours[key], path + seg, generic + seg, out);
    }
    return;
  }
  if (Array.isArray(istio) && Array.isArray(ours)) {
    if ((istio.length > 0 || ours.length > 0) && uniqueNames(istio) && uniqueNames(ours)) {
      const named = (list: unknown[]) => new Map(list.map((el) => [(el as { name: string }).name, el]));
      const a = named(istio);
      const b = named(ours);
      const seg = (name: string) => `[name=${name}]`;
      const gseg = (name: string) => (ISTIO_NAMES.has(name) ? `[name=${name}]` : '[name=<app>]');
      for (const [name, el] of a) {
        if (!b.has(name)) out.push({ path: path + seg(name), generic: generic + gseg(name), istio: el });
        else diff(el, b.get(name), path + seg(name), generic + gseg(name), out);
      }
      for (const [name, el] of b) if (!a.has(name)) out.push({ path: path + seg(name), generic: generic + gseg(name), ours: el });
      const order = (x: Map<string, unknown>, y: Map<string, unknown>) => [...x.keys()].filter((n) => y.has(n));
      if (!equal(order(a, b), order(b, a))) out.push({ path: `${path}(order)`, generic: `${generic}(order)`, istio: [...a.keys()], ours: [...b.keys()] });
      return;
    }
    if (istio.length === ours.length) {
      istio.forEach((el, i) => diff(el, ours[i], `${path}[${i}]`, `${generic}[]`, out));
      return;
    }
  }
  out.push({ path, generic, istio, ours });
}

/** Where a path is inside an object, with the pod (template) part written `pod.` */
function genericRoot(docs: unknown[]): string {
  const doc = docs[0];
  if (!isMap(doc)) return '$';
  switch (doc.kind) {
    case 'Pod':
      return 'pod';
    case 'CronJob':
      return 'cronjob';
    case 'List':
      return 'list';
    default:
      return 'workload';
  }
}

/** Compares Istio's outcome for a document with ours. */
export function compare(istio: Outcome, ours: Outcome): Verdict {
  if ('error' in ours && ours.crash === true) return { kind: 'we-crashed', ourError: ours.error };
  if ('error' in istio && istio.crash === true && !('error' in ours)) return { kind: 'istio-crashed', istioError: istio.error };
  if ('error' in istio) return 'error' in ours ? { kind: 'same' } : { kind: 'istio-refused', istioError: istio.error };
  if ('error' in ours) return { kind: 'we-refused', ourError: ours.error };
  let a: unknown[];
  let b: unknown[];
  try {
    a = documentsOf(istio);
  } catch (err) {
    return { kind: 'unreadable-output', which: 'istio', message: (err as Error).message };
  }
  try {
    b = documentsOf(ours);
  } catch (err) {
    return { kind: 'unreadable-output', which: 'ours', message: (err as Error).message };
  }
  const differences: Difference[] = [];
  const root = genericRoot(a);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= b.length) differences.push({ path: `$[${i}]`, generic: `${root}[${i}]`, istio: a[i] });
    else if (i >= a.length) differences.push({ path: `$[${i}]`, generic: `${root}[${i}]`, ours: b[i] });
    else diff(a[i], b[i], `$[${i}]`, i === 0 ? root : `${root}[${i}]`, differences);
  }
  return differences.length === 0 ? { kind: 'same' } : { kind: 'output', differences };
}

/** One line naming the kind of difference: the kind, and for outputs the first generic paths. */
export function signature(verdict: Verdict): string {
  if (verdict.kind !== 'output') return verdict.kind;
  const paths = [...new Set(verdict.differences.map((d) => d.generic))];
  return `output: ${paths.slice(0, 3).join(' ')}${paths.length > 3 ? ` (+${paths.length - 3})` : ''}`;
}
