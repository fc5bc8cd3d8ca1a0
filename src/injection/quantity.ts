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
const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** Parses a quantity; throws InjectorError for anything Kubernetes would refuse. */
export function parseQuantity(input: string | number): Quantity {
  const text = String(input).trim();
  const match = PATTERN.exec(text);
  if (match === null) throw new InjectorError('INVALID_CONFIG', `'${text}' is not a quantity (examples: 100m, 2, 128Mi, 1Gi)`);
  const [, sign = '', number = '', suffix, exponentText] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let mantissa = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0');
  if (sign === '-') mantissa = -mantissa;
  let exponent = -fraction.length;
  let format: Format = 'DecimalSI';
  if (exponentText !== undefined) {
    exponent += Number(exponentText);
    format = 'DecimalExponent';
  } else if (suffix !== undefined && suffix in BINARY_SUFFIXES) {
    mantissa *= 1024n ** BigInt(BINARY_SUFFIXES[suffix]!);
    format = 'BinarySI';
  } else {
    exponent += DECIMAL_SUFFIXES[suffix ?? '']!;
  }
  return { mantissa, exponent, format };
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
    mantissa = mantissa / scale + (mantissa % scale > 0n ? 1n : 0n);
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
