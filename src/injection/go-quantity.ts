/**
 * A quantity as Kubernetes' Go code writes it back: canonical (`2000m` is `2`, `1024Mi` is `1Gi`),
 * except that Go keeps the text it parsed when its fast path deems it canonical already, which it
 * decides from the digits alone: `5.`, `+1` and `05` stay as written, `5.0` and `00` do not. Istio
 * passes every pod through that code, so its output shows the same.
 */
import { canonicalQuantity } from './quantity.js';

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const INT64_MAX = 2n ** 63n - 1n;
/** Decimal digits an int64 always holds. */
const INT64_DIGITS = 18;

/** Whether Go's resource.ParseQuantity keeps `text` as the quantity's string form. */
function keptAsWritten(text: string): boolean {
  if (text === '0') return true;
  const match = /^[+-]?0*([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text);
  if (match === null) return false;
  const num = match[1] === '' ? '0' : match[1]!;
  const denom = match[2] ?? '';
  const suffix = match[3]!;
  let exponent: number;
  let binary = false;
  if (Object.hasOwn(DECIMAL, suffix)) exponent = DECIMAL[suffix]!;
  else if (Object.hasOwn(BINARY, suffix)) {
    exponent = BINARY[suffix]!;
    binary = true;
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) exponent = Number(suffix.slice(1));
  else return false;
  // A number written with only zeros before the suffix (`00`) is returned early by Go's parser,
  // with no denominator; `0.` still reaches the checks below.
  const precision = binary ? (denom === '' ? 15 - num.length - Math.trunc((exponent * 3) / 10) - 1 : -1) : INT64_DIGITS - (num.length + denom.length);
  if (precision < 0) return false;
  const scale = (binary ? 0 : exponent) - denom.length;
  if (scale < -9) return false;
  const shifted = num + denom;
  const value = BigInt(shifted);
  if (value > INT64_MAX || value * (binary ? 1n << BigInt(exponent) : 1n) > INT64_MAX) return false;
  if (binary) return (value & 7n) !== 0n;
  return scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
}

/**
 * The answers for the quantities seen (configured proxy resources, the same on every review),
 * bounded in count and key length like canonicalQuantity's: a pure function of the text.
 */
const answers = new Map<string, string>();
const MAX_ANSWERS = 1000;
const MAX_KEY_CHARS = 64;

/** The string Go writes for a valid quantity. */
export function goQuantityString(input: string | number): string {
  const text = String(input);
  const known = answers.get(text);
  if (known !== undefined) return known;
  const answer = keptAsWritten(text) ? text : canonicalQuantity(text);
  if (answers.size < MAX_ANSWERS && text.length <= MAX_KEY_CHARS) answers.set(text, answer);
  return answer;
}
