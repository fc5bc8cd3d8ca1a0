/**
 * Whether JSON decodes into a Go type, as the apiserver's decoder (or Istio's) reads it: a field of
 * the wrong type fails the whole object, unknown fields are dropped, `null` leaves a field at its
 * zero value. The Pod's types come from pod-types.ts (Kubernetes' Go types); callers may describe
 * other structs (Istio's) in the same type codes.
 *
 * Stricter than Go in one way: a `null` list item or map value is a problem. Go reads it as a zero
 * value, so the apiserver never sends one (it re-encodes what it decoded), and a patch must not
 * write one.
 *
 * Each type compiles to a generated function that answers yes or no without allocating
 * (verification runs it over everything a patch writes, on every review); only a no is walked
 * again, over the type table, to say where and why.
 */
import { isValidQuantity } from '../injection/quantity.js';
import { POD_TYPES, type StructTable } from './pod-types.js';

export type { StructTable } from './pod-types.js';

type Accepts = (value: unknown) => boolean;

const INT32 = 2 ** 31;
const isInt32 = (v: unknown) => Number.isInteger(v) && (v as number) >= -INT32 && (v as number) < INT32;
const SCALARS: Readonly<Record<string, { accepts: Accepts; expected: string }>> = {
  string: { accepts: (v) => typeof v === 'string', expected: 'a string' },
  bool: { accepts: (v) => typeof v === 'boolean', expected: 'true or false' },
  int32: { accepts: isInt32, expected: 'a 32-bit integer' },
  int64: { accepts: (v) => Number.isInteger(v), expected: 'an integer' },
  intOrString: { accepts: (v) => typeof v === 'string' || isInt32(v), expected: 'an integer or a string' },
  quantity: { accepts: (v) => (typeof v === 'string' && isValidQuantity(v)) || (typeof v === 'number' && Number.isFinite(v)), expected: 'a quantity such as 100m or 1Gi' },
  time: { accepts: (v) => typeof v === 'string', expected: 'a time' },
  any: { accepts: () => true, expected: 'any value' },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON path segment: `.name`, `["odd/name"]` or `[3]`. */
function segment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** The compiled types of a table of structs. */
export class GoTypes {
  private readonly compiled = new Map<string, Accepts>();
  /** Per struct: field name (lower-cased too when case-insensitive) to type code. */
  private readonly fieldCodes = new Map<string, Record<string, string>>();

  /** `caseInsensitive`: field names match as Go's encoding/json matches them (the apiserver's decoder does not). */
  constructor(
    private readonly structs: StructTable,
    private readonly caseInsensitive = false,
  ) {}

  /** True when `value` decodes as `code`. */
  accepts(value: unknown, code: string): boolean {
    return this.compile(code)(value);
  }

  /** Where `value` fails to decode as `code` (a JSON path, then why), or undefined when it decodes. */
  problem(value: unknown, code: string): string | undefined {
    if (this.accepts(value, code)) return undefined;
    const found = this.explain(value, code);
    return found === undefined ? undefined : `${found.path.join('').replace(/^\./, '')}${found.path.length > 0 ? ': ' : ''}${found.why}`;
  }

  /**
   * The type code a JSON pointer's segments lead to below `code`, or undefined when they lead into
   * a field Go drops (an unknown one) or into a value of any type.
   */
  codeAt(code: string, segments: readonly string[]): string | undefined {
    let current = code;
    for (const key of segments) {
      if (current.startsWith('[]')) current = current.slice(2);
      else if (current.startsWith('map[]')) current = current.slice(5);
      else if (Object.hasOwn(this.structs, current)) {
        const field = this.fieldCode(current, key);
        if (field === undefined) return undefined;
        current = field;
      } else return undefined;
    }
    return current === 'any' ? undefined : current;
  }

  /** Whether `code` is a struct of the table. */
  isStruct(code: string): boolean {
    return Object.hasOwn(this.structs, code);
  }

  /** The type code of the field `key` of the struct `struct`; undefined for a field Go drops. */
  fieldCode(struct: string, key: string): string | undefined {
    let codes = this.fieldCodes.get(struct);
    if (codes === undefined) {
      codes = Object.create(null) as Record<string, string>;
      const table = this.structs[struct]!;
      for (const field of Object.keys(table)) {
        codes[field] = table[field]!;
        if (this.caseInsensitive) codes[`\u0000${field.toLowerCase()}`] = table[field]!;
      }
      this.fieldCodes.set(struct, codes);
    }
    return codes[key] ?? (this.caseInsensitive ? codes[`\u0000${key.toLowerCase()}`] : undefined);
  }

  /**
   * The check of `code`, generated as JavaScript once per type: a function per list, map and struct
   * type reachable from it, each struct a `switch` over its field names with the scalar checks
   * written inline. It runs over every value a patch writes, on every review, and this way costs
   * about a third of what a walk of the type table costs. The source holds only the field names
   * and type codes of the table (quoted with JSON.stringify), nothing from a request.
   */
  private compile(code: string): Accepts {
    const done = this.compiled.get(code);
    if (done !== undefined) return done;
    const names = new Map<string, string>();
    const functions: string[] = [];
    const ref = (type: string): string => {
      let name = names.get(type);
      if (name === undefined) {
        name = `t${names.size}`;
        names.set(type, name);
        functions.push(this.source(type, name, ref));
      }
      return name;
    };
    const root = this.test(code, 'v', ref);
    const source = `${functions.join('\n')}\nreturn (v) => ${root};`;
    const accepts = new Function('isValidQuantity', source)(isValidQuantity) as Accepts;
    this.compiled.set(code, accepts);
    return accepts;
  }

  /** An expression testing `value` (a variable name) against `code`. */
  private test(code: string, value: string, ref: (type: string) => string): string {
    switch (code) {
      case 'string':
      case 'time':
        return `typeof ${value} === 'string'`;
      case 'bool':
        return `typeof ${value} === 'boolean'`;
      case 'int32':
        return `(Number.isInteger(${value}) && ${value} >= ${-INT32} && ${value} < ${INT32})`;
      case 'int64':
        return `Number.isInteger(${value})`;
      case 'intOrString':
        return `(typeof ${value} === 'string' || (Number.isInteger(${value}) && ${value} >= ${-INT32} && ${value} < ${INT32}))`;
      case 'quantity':
        return `(typeof ${value} === 'string' ? isValidQuantity(${value}) : typeof ${value} === 'number' && Number.isFinite(${value}))`;
      case 'any':
        return 'true';
      default:
        if (!code.startsWith('[]') && !code.startsWith('map[]') && !Object.hasOwn(this.structs, code)) throw new Error(`unknown type code '${code}'`);
        return `${ref(code)}(${value})`;
    }
  }

  /** The function `name` testing a list, map or struct type. */
  private source(code: string, name: string, ref: (type: string) => string): string {
    const object = `if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;`;
    if (code.startsWith('[]')) {
      return `function ${name}(v) { if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) { const x = v[i]; if (x === null || !(${this.test(code.slice(2), 'x', ref)})) return false; } return true; }`;
    }
    if (code.startsWith('map[]')) {
      return `function ${name}(v) { ${object} for (const k in v) { const x = v[k]; if (x === null || !(${this.test(code.slice(5), 'x', ref)})) return false; } return true; }`;
    }
    const table = this.structs[code]!;
    const cases = (fold: boolean) => Object.keys(table).map((field) => `case ${JSON.stringify(fold ? field.toLowerCase() : field)}: if (!(${this.test(table[field]!, 'x', ref)})) return false; break;`).join(' ');
    // Unknown fields fall through (Go drops them); with Go's encoding/json, a name differing only in case matches.
    const fallback = this.caseInsensitive ? `default: switch (k.toLowerCase()) { ${cases(true)} }` : '';
    return `function ${name}(v) { ${object} for (const k in v) { const x = v[k]; if (x === null) continue; switch (k) { ${cases(false)} ${fallback} } } return true; }`;
  }

  /** The first value below `value` that does not decode as `code`: its path and why. */
  private explain(value: unknown, code: string): { path: string[]; why: string } | undefined {
    const mismatch = (what: string) => ({ path: [] as string[], why: `expected ${what}, got ${shown(value)}` });
    const at = (key: string | number, found: { path: string[]; why: string } | undefined) => {
      found?.path.unshift(segment(key));
      return found;
    };
    const item = (v: unknown, of: string, key: string | number) => at(key, v === null ? { path: [], why: `expected ${this.expected(of)}, got null` } : this.explain(v, of));
    if (code.startsWith('[]')) {
      if (!Array.isArray(value)) return mismatch('a list');
      for (let i = 0; i < value.length; i++) if (!(value[i] !== null && this.accepts(value[i], code.slice(2)))) return item(value[i], code.slice(2), i);
      return undefined;
    }
    if (code.startsWith('map[]')) {
      if (!isObject(value)) return mismatch('an object');
      for (const key of Object.keys(value)) if (!(value[key] !== null && this.accepts(value[key], code.slice(5)))) return item(value[key], code.slice(5), key);
      return undefined;
    }
    if (Object.hasOwn(SCALARS, code)) return SCALARS[code]!.accepts(value) ? undefined : mismatch(SCALARS[code]!.expected);
    if (!isObject(value)) return mismatch(this.expected(code));
    for (const key of Object.keys(value)) {
      const field = this.fieldCode(code, key);
      if (field === undefined || value[key] === null || this.accepts(value[key], field)) continue;
      return at(key, this.explain(value[key], field));
    }
    return undefined;
  }

  /** What a value of type `code` looks like, in words. */
  expected(code: string): string {
    if (code.startsWith('[]')) return 'a list';
    if (Object.hasOwn(SCALARS, code)) return SCALARS[code]!.expected;
    return code.startsWith('map[]') ? 'an object' : `an object (${code})`;
  }
}

/** A Pod as the apiserver decodes it; `status` is never written by an injector and is not checked. */
const POD_STRUCTS: StructTable = {
  ...POD_TYPES,
  Pod: { apiVersion: 'string', kind: 'string', metadata: 'ObjectMeta', spec: 'PodSpec', status: 'any' },
};

/** The apiserver's view of a Pod's types (field names match exactly, as its decoder matches them). */
export const podTypes = new GoTypes(POD_STRUCTS);

/** Where a pod has a value of the wrong type for the apiserver's decoder (a JSON path and why), or undefined. */
export function podTypeProblem(pod: unknown): string | undefined {
  return podTypes.problem(pod, 'Pod');
}

/**
 * The first field of a pod set to `null`, as a path (`metadata.creationTimestamp`, which the
 * apiserver writes as null, excepted). Go reads `null` as "absent", but the apiserver never sends
 * one (it encodes the pod it decoded, leaving empty fields out), so when rendering trips on a pod
 * without a type problem, a null is the likely cause.
 */
export function podNullField(pod: unknown): string | undefined {
  const walk = (value: unknown, path: string): string | undefined => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = walk(value[i], `${path}[${i}]`);
        if (found !== undefined) return found;
      }
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        const at = `${path}${segment(key)}`;
        if (value[key] === null && at !== '.metadata.creationTimestamp') return at.replace(/^\./, '');
        const found = walk(value[key], at);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return walk(pod, '');
}

