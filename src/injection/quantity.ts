/**
 * Kubernetes resource quantities: parsing and the canonical form Kubernetes writes them in
 * (`2000m` is written `2`, `1024Mi` is `1Gi`, `1.5` is `1500m`). Exact arithmetic with BigInt.
 */
import { InjectorError } from '../errors.js';

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A quantity as `mantissa × 10^exponent` (exact), and the suffix family it was written in. */
export interface Quantity {
  mantissa: bigint;
  exponent: number;
  format: Format;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
/**
 * Kubernetes' grammar (apimachinery resource.ParseQuantity): optional sign, digits with an optional
 * `.` and optional digits on either side (so `+`, `.` and `1.` are zero, zero and one), then a
 * suffix made of `eEinumkKMGTP` with an optional signed integer tail. No spaces anywhere.
 */
const PATTERN = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)((?:[+-]?[0-9]+)?)$/;
/** Kubernetes caps every quantity at the largest int64. */
const MAX = 2n ** 63n - 1n;

function invalid(text: string, why: string): InjectorError {
  return new InjectorError('INVALID_CONFIG', `'${text}' is not a quantity (${why}; examples: 100m, 2, 128Mi, 1Gi, 1e3)`);
}

/** Parses a quantity; throws InjectorError for anything Kubernetes would refuse. */
export function parseQuantity(input: string | number): Quantity {
  const text = String(input);
  if (text === '') throw invalid(text, 'empty');
  const match = PATTERN.exec(text);
  if (match === null) throw invalid(text, 'quantities must match the regular expression');
  const [, sign = '', whole = '', fraction = '', letters = '', tail = ''] = match;
  const suffix = letters + tail;
  let mantissa = BigInt(whole + fraction || '0');
  if (sign === '-') mantissa = -mantissa;
  let exponent = -fraction.length;
  let format: Format;
  if (suffix in BINARY_SUFFIXES) {
    mantissa *= 1024n ** BigInt(BINARY_SUFFIXES[suffix]!);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_SUFFIXES) {
    exponent += DECIMAL_SUFFIXES[suffix]!;
    format = 'DecimalSI';
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    const power = Number(suffix.slice(1));
    if (!Number.isSafeInteger(power)) throw invalid(text, 'exponent out of range');
    exponent += power;
    format = 'DecimalExponent';
  } else {
    throw invalid(text, `unknown suffix '${suffix}'`);
  }
  return { ...capped(mantissa, exponent), format };
}

/** Applies the int64 cap without materialising huge powers of ten. */
function capped(mantissa: bigint, exponent: number): { mantissa: bigint; exponent: number } {
  if (mantissa === 0n) return { mantissa, exponent: 0 };
  const magnitude = mantissa < 0n ? -mantissa : mantissa;
  const digits = magnitude.toString().length + exponent;
  if (digits > 19 || (digits > 0 && exponent >= 0 && magnitude * 10n ** BigInt(exponent) > MAX) || (digits > 0 && exponent < 0 && magnitude / 10n ** BigInt(-exponent) >= MAX)) {
    return { mantissa: mantissa < 0n ? -MAX : MAX, exponent: 0 };
  }
  // Anything finer than a nano unit is rounded up to one (in magnitude) below.
  if (exponent < -30) return { mantissa: mantissa < 0n ? -1n : 1n, exponent: -9 };
  return { mantissa, exponent };
}

/** True when `input` parses as a quantity. */
export function isValidQuantity(input: string | number): boolean {
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

function stripZeros(q: { mantissa: bigint; exponent: number }): { mantissa: bigint; exponent: number } {
  let { mantissa, exponent } = q;
  if (mantissa === 0n) return { mantissa, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Kubernetes keeps nothing finer than nano units and rounds up to them.
  if (exponent < -9) {
    const scale = 10n ** BigInt(-9 - exponent);
    // Away from zero, as Go's inf.RoundUp on the magnitude.
    const up = mantissa % scale !== 0n ? 1n : 0n;
    mantissa = mantissa < 0n ? mantissa / scale - up : mantissa / scale + up;
    exponent = -9;
  }
  return { mantissa, exponent };
}

function decimal(q: { mantissa: bigint; exponent: number }, exponentStyle: boolean): string {
  const { mantissa, exponent } = stripZeros(q);
  if (mantissa === 0n) return '0';
  const e3 = Math.min(18, Math.floor(exponent / 3) * 3);
  const digits = (mantissa * 10n ** BigInt(exponent - e3)).toString();
  if (exponentStyle) return e3 === 0 ? digits : `${digits}e${e3}`;
  const suffix = Object.entries(DECIMAL_SUFFIXES).find(([, e]) => e === e3)![0];
  return digits + suffix;
}

const canonicalCache = new Map<string, string>();

/** Writes a quantity in Kubernetes' canonical form. Results are memoised (a handful of values recur). */
export function canonicalQuantity(input: string | number): string {
  const key = String(input);
  const cached = canonicalCache.get(key);
  if (cached !== undefined) return cached;
  const result = canonicalize(input);
  if (canonicalCache.size < 1000) canonicalCache.set(key, result);
  return result;
}

function canonicalize(input: string | number): string {
  const q = parseQuantity(input);
  if (q.format === 'BinarySI') {
    const { mantissa, exponent } = stripZeros(q);
    const integer = exponent >= 0 ? mantissa * 10n ** BigInt(exponent) : undefined;
    if (integer === undefined || (integer > -1024n && integer < 1024n)) return decimal(q, false);
    let power = 0;
    let value = integer;
    while (power < 6 && value % 1024n === 0n) {
      value /= 1024n;
      power++;
    }
    return `${value}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power]}`;
  }
  return decimal(q, q.format === 'DecimalExponent');
}
