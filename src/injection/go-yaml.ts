/**
 * YAML read as Istio (and kubectl) read it: with go-yaml v2, whose YAML 1.1 rules make `yes`,
 * `on` and `y` booleans, `010` octal, `1e3` a number and `12:30` a string, then converted to JSON
 * (sigs.k8s.io/yaml). Plain scalars are resolved here by go-yaml's rules; quoted ones stay
 * strings. Floats are kept apart from integers (`GoFloat`) because Go writes them differently when
 * a string is expected (`1.0` becomes "1", `1e10` "1e+10").
 */
import { isScalar, parseAllDocuments, parseDocument, stringify, visit, type Document, type ToStringOptions } from 'yaml';

/** A YAML float, kept apart from integers. */
export class GoFloat {
  constructor(readonly value: number) {}
}

const BOOLEANS: Record<string, boolean> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false]),
]);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: Record<string, number> = {
  '.nan': NaN, '.NaN': NaN, '.NAN': NaN,
  '.inf': Infinity, '.Inf': Infinity, '.INF': Infinity, '+.inf': Infinity, '+.Inf': Infinity, '+.INF': Infinity,
  '-.inf': -Infinity, '-.Inf': -Infinity, '-.INF': -Infinity,
};
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** go-yaml's timestamp forms, which it hands to untyped values as strings. */
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b and leading-0 octal), as a BigInt. */
function goParseInteger(text: string, unsigned: boolean): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (match === null) return undefined;
  const [, sign, digits] = match as unknown as [string, string, string];
  if (unsigned && sign !== '') return undefined;
  let value: bigint;
  if (/^0[oO]/.test(digits)) value = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  if (sign === '-') value = -value;
  if (unsigned ? value > UINT64_MAX : value < INT64_MIN || value > INT64_MAX) return undefined;
  return value;
}

/** How go-yaml v2 resolves an untagged plain scalar. */
export function goResolve(text: string): unknown {
  // Own keys only: `constructor` and `toString` are strings, not Object.prototype's functions.
  if (Object.hasOwn(BOOLEANS, text)) return BOOLEANS[text];
  if (NULLS.has(text)) return null;
  if (Object.hasOwn(SPECIAL_FLOATS, text)) return new GoFloat(SPECIAL_FLOATS[text]!);
  const first = text[0];
  if (first === '.') {
    // Go's ParseFloat on the text as it is.
    // (Go's ParseFloat refuses a value out of range: it stays a string.)
    return /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(Number(text)) ? new GoFloat(Number(text)) : text;
  }
  if (first === undefined || !/[-+0-9]/.test(first)) return text;
  if (TIMESTAMP.test(text)) return text;
  const plain = text.replaceAll('_', '');
  const integer = goParseInteger(plain, false) ?? goParseInteger(plain, true);
  if (integer !== undefined) return Number(integer);
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return new GoFloat(Number(plain));
  const binary = /^(-?)0b([01]+)$/.exec(plain);
  if (binary !== null) return Number(BigInt(`0b${binary[2]}`)) * (binary[1] === '-' ? -1 : 1);
  return text;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 32): the shortest float32 form; exponent form below 1e-4 and from 1e6. */
export function goFloat32String(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const f = Math.fround(value);
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // The shortest decimal that reads back as the same float32.
  let digits = '';
  let exponent = 0;
  for (let precision = 1; precision <= 9; precision++) {
    const text = Math.abs(f).toExponential(precision - 1);
    if (Math.fround(Number(text)) === Math.abs(f)) {
      const [mantissa, exp] = text.split('e') as [string, string];
      digits = mantissa.replace('.', '');
      exponent = Number(exp);
      break;
    }
  }
  digits = digits.replace(/0+$/, '') || '0';
  const sign = f < 0 ? '-' : '';
  // Go's %g with the shortest precision: %e when the exponent is below -4 or 6 and above.
  const decimalPoint = exponent + 1;
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}

/** A resolved map key as sigs.k8s.io/yaml writes it into JSON. */
function keyString(value: unknown): string {
  if (value instanceof GoFloat) {
    const text = goFloat32String(value.value);
    return text === '+Inf' ? '.inf' : text === '-Inf' ? '-.inf' : text === 'NaN' ? '.nan' : text;
  }
  return value === null ? 'null' : String(value);
}

function resolvePlainScalars(doc: Document): Document {
  visit(doc, {
    Scalar(key, node) {
      if (node.type !== 'PLAIN' || (node.tag !== undefined && node.tag !== null)) return;
      const resolved = goResolve(String(node.source ?? node.value));
      node.value = key === 'key' ? keyString(resolved) : resolved;
    },
  });
  return doc;
}

const OPTIONS = { schema: 'failsafe', logLevel: 'error' } as const;

/** One YAML document, resolved as go-yaml does; throws when it is not YAML. */
export function parseGoYaml(text: string): unknown {
  const doc = parseDocument(text, OPTIONS);
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  if (isScalar(doc.contents) && doc.contents.type === 'PLAIN' && doc.contents.source === undefined) return null;
  return resolvePlainScalars(doc).toJS({ maxAliasCount: 100 });
}

/** Every document of a YAML stream, resolved as go-yaml does, with its source text. */
export function parseGoYamlDocuments(text: string): Array<{ value: unknown; source: string; error?: string }> {
  return parseAllDocuments(text, OPTIONS).map((doc) => {
    const [start, , end] = doc.range;
    const source = text.slice(start, end);
    if (doc.errors.length > 0) return { value: undefined, source, error: doc.errors[0]!.message.split('\n')[0] };
    return { value: resolvePlainScalars(doc).toJS({ maxAliasCount: 100 }), source };
  });
}

/**
 * The value as JSON holds it (floats as numbers), or the error Go's JSON encoding gives for a
 * float JSON cannot hold (`.inf`, `.nan`, or a number too large such as 1e1000).
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof GoFloat) {
    if (!Number.isFinite(value.value)) throw new Error(`json: unsupported value: ${goFloat32String(value.value) === 'NaN' ? 'NaN' : value.value > 0 ? '+Inf' : '-Inf'}`);
    return value.value;
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

/**
 * A tag that claims, when writing YAML, every plain string go-yaml would read as something else
 * (`yes`, `n`, `0123`, `1e3`), so that such strings are written quoted: Kubernetes tools (kubectl,
 * istioctl) read YAML with go-yaml, and would turn `yes` into `true`.
 */
const GO_NON_STRING = {
  default: true,
  tag: 'tag:yaml.org,2002:go-non-string',
  test: { test: (text: string) => typeof goResolve(text) !== 'string' } as unknown as RegExp,
  resolve: (text: string) => text,
};

/** YAML that go-yaml reads back as the same values (strings it would misread are quoted). */
export function stringifyForGo(value: unknown, options: ToStringOptions = {}): string {
  return stringify(value, { ...options, customTags: [GO_NON_STRING] });
}
