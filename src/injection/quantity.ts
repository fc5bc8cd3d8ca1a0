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

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
/** Kubernetes caps every quantity at the largest int64. */
const MAX = 2n ** 63n - 1n;
/**
 * Significant digits kept exactly. A value under the cap has at most 19 digits before the point,
 * a binary suffix multiplies it by at most 2^60, and nothing finer than 10^-9 survives; 64 digits
 * cover all of it, and one more non-zero digit stands for whatever was cut, so rounding up to a
 * nano unit comes out as it would on the whole number.
 */
const KEPT_DIGITS = 64;
/** Longest text memoised: a cache must not keep a pod's 256 KiB annotation alive. */
const MAX_CACHED_KEY = 32;

function invalid(text: string, why: string): InjectorError {
  return new InjectorError('INVALID_CONFIG', `'${text}' is not a quantity (${why}; examples: 100m, 2, 128Mi, 1Gi, 1e3)`);
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const SUFFIX_LETTERS = new Set('eEinumkKMGTP');

/**
 * Kubernetes' grammar (apimachinery resource.ParseQuantity): optional sign, digits with an optional
 * `.` and optional digits on either side (so `+`, `.` and `1.` are zero, zero and one), then a
 * suffix made of `eEinumkKMGTP` with an optional signed integer tail. No spaces anywhere.
 * Scanned in one pass: as a regular expression, the digits before and after the suffix letters
 * can be split in as many ways as there are digits, and a mismatch at the end tries every split.
 */
function scan(text: string): { negative: boolean; whole: string; fraction: string; suffix: string } | undefined {
  const n = text.length;
  let i = text[0] === '+' || text[0] === '-' ? 1 : 0;
  const negative = text[0] === '-';
  const wholeStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const whole = text.slice(wholeStart, i);
  let fraction = '';
  if (text[i] === '.') {
    const fractionStart = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fraction = text.slice(fractionStart, i);
  }
  const suffixStart = i;
  while (i < n && SUFFIX_LETTERS.has(text[i]!)) i++;
  if (i < n) {
    if (text[i] === '+' || text[i] === '-') i++;
    const tailStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i === tailStart || i < n) return undefined;
  }
  return { negative, whole, fraction, suffix: text.slice(suffixStart) };
}

/** Parses a quantity; throws InjectorError for anything Kubernetes would refuse. Linear in the text. */
export function parseQuantity(input: string | number): Quantity {
  const text = String(input);
  if (text === '') throw invalid(text, 'empty');
  const parts = scan(text);
  if (parts === undefined) throw invalid(text, 'quantities must match the regular expression');
  const { negative, whole, fraction, suffix } = parts;
  let exponent = -fraction.length;
  let binaryPower = 0;
  let format: Format;
  if (Object.hasOwn(BINARY_SUFFIXES, suffix)) {
    binaryPower = BINARY_SUFFIXES[suffix]!;
    format = 'BinarySI';
  } else if (Object.hasOwn(DECIMAL_SUFFIXES, suffix)) {
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
  return { ...value(negative, whole + fraction, exponent, binaryPower), format };
}

/**
 * `±digits × 10^exponent × 1024^binaryPower`, capped at the largest int64, without turning a long
 * run of digits into a big integer (which costs time quadratic in its length).
 */
function value(negative: boolean, digits: string, exponent: number, binaryPower: number): { mantissa: bigint; exponent: number } {
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  if (start === digits.length) return { mantissa: 0n, exponent: 0 };
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  exponent += digits.length - end;
  let significant = digits.slice(start, end);
  // The value is below 10^order (before the binary factor, which is below 10^(4 × power)).
  const order = significant.length + exponent;
  if (order > 19) return { mantissa: negative ? -MAX : MAX, exponent: 0 };
  // Below one nano unit: rounded up to one, away from zero.
  if (order + 4 * binaryPower <= -9) return { mantissa: negative ? -1n : 1n, exponent: -9 };
  if (significant.length > KEPT_DIGITS) {
    exponent += significant.length - KEPT_DIGITS - 1;
    significant = `${significant.slice(0, KEPT_DIGITS)}1`;
  }
  const magnitude = BigInt(significant) * 1024n ** BigInt(binaryPower);
  const whole = exponent >= 0 ? magnitude * 10n ** BigInt(exponent) : magnitude / 10n ** BigInt(-exponent);
  if (whole >= MAX) return { mantissa: negative ? -MAX : MAX, exponent: 0 };
  return { mantissa: negative ? -magnitude : magnitude, exponent };
}

/** Short texts known to be quantities: verification checks the same few on every review. */
const knownValid = new Set<string>();

/** True when `input` parses as a quantity. */
export function isValidQuantity(input: string | number): boolean {
  const text = String(input);
  if (knownValid.has(text)) return true;
  try {
    parseQuantity(text);
  } catch {
    return false;
  }
  if (knownValid.size < 1000 && text.length <= MAX_CACHED_KEY) knownValid.add(text);
  return true;
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
  if (canonicalCache.size < 1000 && key.length <= MAX_CACHED_KEY) canonicalCache.set(key, result);
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
