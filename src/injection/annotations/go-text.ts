/**
 * Go's text primitives the annotation checks rely on, so a value is accepted or refused exactly as
 * Istio's Go code (strconv, strings.TrimSpace) accepts or refuses it.
 */

// unicode.IsSpace: ASCII whitespace, U+0085, U+00A0 and the Unicode space separators.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** strings.TrimSpace. JavaScript's trim() also strips U+FEFF and keeps U+0085, Go does the opposite. */
export function goTrimSpace(value: string): string {
  return value.replace(GO_TRIM, '');
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
