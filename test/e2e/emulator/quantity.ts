/**
 * resource.Quantity as the apiserver stores it: parsed from a string or a JSON number, container
 * resource lists rounded up to milli units (SetDefaults_ResourceList), and written back in
 * canonical form (`0.5` -> `500m`, `1000m` -> `1`, `2048Mi` -> `2Gi`, `1e3` stays `1e3`).
 * Written apart from src/injection so that the oracle does not share the product's bugs.
 */
export class QuantityError extends Error {}

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

interface Value {
  /** value = digits × 10^scale */
  digits: bigint;
  scale: number;
  format: Format;
}

const SI: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, bigint> = { Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n, Pi: 1024n ** 5n, Ei: 1024n ** 6n };
const GRAMMAR = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const INT64_MAX = 2n ** 63n - 1n;

/** The message apimachinery gives for a string that is not a quantity. */
export const QUANTITY_SYNTAX = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function parse(input: string | number): Value {
  const text = String(input);
  const m = GRAMMAR.exec(text);
  if (text === '' || m === null) throw new QuantityError(QUANTITY_SYNTAX);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = m;
  let digits = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') digits = -digits;
  let scale = -fraction.length;
  let format: Format;
  if (suffix in BINARY) {
    digits *= BINARY[suffix]!;
    format = 'BinarySI';
  } else if (suffix in SI) {
    scale += SI[suffix]!;
    format = 'DecimalSI';
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    scale += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    throw new QuantityError('unable to parse quantity\'s suffix');
  }
  return clamp({ digits, scale, format });
}

/** Quantities are capped at the int64 range, like apimachinery does. */
function clamp(v: Value): Value {
  if (v.digits === 0n) return { ...v, scale: 0 };
  const magnitude = v.digits < 0n ? -v.digits : v.digits;
  if (v.scale >= 0 && magnitude.toString().length + v.scale > 19) return { digits: v.digits < 0n ? -INT64_MAX : INT64_MAX, scale: 0, format: v.format };
  if (v.scale >= 0 && magnitude * 10n ** BigInt(v.scale) > INT64_MAX) return { digits: v.digits < 0n ? -INT64_MAX : INT64_MAX, scale: 0, format: v.format };
  return v;
}

/** Rounds up (away from zero) to the given scale: 10^scale is the smallest unit kept. */
function roundUp(v: Value, scale: number): Value {
  if (v.scale >= scale) return v;
  const unit = 10n ** BigInt(scale - v.scale);
  const magnitude = v.digits < 0n ? -v.digits : v.digits;
  const kept = magnitude / unit + (magnitude % unit === 0n ? 0n : 1n);
  return { digits: v.digits < 0n ? -kept : kept, scale, format: v.format };
}

function normalise(v: Value): { digits: bigint; scale: number } {
  let { digits, scale } = v;
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    scale++;
  }
  return { digits, scale };
}

function decimalForm(v: Value, format: Format): string {
  const { digits, scale } = normalise(roundUp(v, -9));
  if (digits === 0n) return '0';
  // The largest multiple of three not above the scale, so the number stays an integer.
  const e3 = Math.min(18, Math.floor(scale / 3) * 3);
  const number = (digits * 10n ** BigInt(scale - e3)).toString();
  if (format === 'DecimalExponent') return e3 === 0 ? number : `${number}e${e3}`;
  return number + Object.keys(SI).find((k) => SI[k] === e3)!;
}

function canonical(v: Value): string {
  if (v.digits === 0n) return '0';
  if (v.format !== 'BinarySI') return decimalForm(v, v.format);
  const { digits, scale } = normalise(v);
  // Below 1024 in magnitude, or not a whole number: shown as DecimalSI so nothing is rounded.
  if (scale < 0) return decimalForm(v, 'DecimalSI');
  let whole = digits * 10n ** BigInt(scale);
  if (whole > -1024n && whole < 1024n) return decimalForm(v, 'DecimalSI');
  let power = 0;
  while (power < 6 && whole % 1024n === 0n) {
    whole /= 1024n;
    power++;
  }
  return `${whole}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power]}`;
}

/** The canonical form of a quantity field (emptyDir.sizeLimit, divisor, ...). */
export function canonicalQuantity(input: string | number): string {
  return canonical(parse(input));
}

/** A container resource list entry: rounded up to milli units, then canonical. */
export function resourceListQuantity(input: string | number): string {
  return canonical(roundUp(parse(input), -3));
}

/** Exact comparison of two quantities' values (`1` equals `1000m`). */
export function quantityEquals(a: string | number | undefined, b: string | number | undefined): boolean {
  const value = (q: string | number | undefined) => (q === undefined ? { digits: 0n, scale: 0 } : normalise(parse(q)));
  const x = value(a);
  const y = value(b);
  return x.digits === y.digits && (x.digits === 0n || x.scale === y.scale);
}
