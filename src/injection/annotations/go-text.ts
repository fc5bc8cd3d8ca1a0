/**
 * Go's text primitives the annotation checks rely on, so a value is accepted or refused exactly as
 * Istio's Go code (strconv, strings.TrimSpace) accepts or refuses it.
 */

/** unicode.IsSpace: ASCII whitespace, U+0085, U+00A0 and the Unicode space separators. */
function isGoSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0x85) return false;
  return code === 0x85 || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000;
}

/**
 * strings.TrimSpace. JavaScript's trim() also strips U+FEFF and keeps U+0085, Go does the opposite.
 * A scan from both ends, not a regular expression: `[spaces]+$` is retried at every start, which
 * takes quadratic time on a long run of spaces followed by anything else.
 */
export function goTrimSpace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isGoSpace(value.charCodeAt(start))) start++;
  while (end > start && isGoSpace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** strconv.ParseUint(value, 10, bits): ASCII digits only, no sign, no spaces, at most 2^bits - 1. */
export function parseGoUint(value: string, bits: 16 | 32): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 2 ** bits - 1 ? n : undefined;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: the twelve spellings Go accepts; undefined for anything else. */
export function parseGoBool(value: string): boolean | undefined {
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return undefined;
}
