/**
 * YAML read from a pod annotation (`proxy.istio.io/config`). The YAML parser recurses once per
 * nesting level and slows down sharply on long malformed input: 200 KB of '{' overflows the stack
 * (and can take the process down with it), 200 KB of '"' takes half a minute. A ProxyConfig is a
 * few hundred bytes nested a few levels deep, so values beyond generous bounds are refused before
 * the parser sees them. Within them, the worst value takes tens of milliseconds (thousands of
 * syntax errors), against tens of microseconds for a usual one; the parser is linear there.
 */
import { parse } from 'yaml';

/** Longest value read as YAML, in characters. */
export const MAX_YAML_ANNOTATION_CHARS = 8 * 1024;
/** Deepest nesting: open flow collections (`{`, `[`), plus a line's indentation and its `- `/`? ` indicators. */
export const MAX_YAML_ANNOTATION_DEPTH = 64;

/**
 * How deep a YAML text can nest, counted without parsing it. Brackets inside quoted text count
 * too: telling quoted from plain text is the parser's job, and counting more is the safe side.
 */
function nesting(text: string): number {
  let deepest = 0;
  let flow = 0;
  // Block nesting on a line: its indentation plus the `- ` and `? ` indicators on it.
  let block = 0;
  let indenting = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      block = 0;
      indenting = true;
      continue;
    }
    if (c === ' ' && indenting) block++;
    else indenting = false;
    if (c === '{' || c === '[') flow++;
    else if (c === '}' || c === ']') flow = Math.max(0, flow - 1);
    else if ((c === '-' || c === '?') && (text[i + 1] === ' ' || text[i + 1] === '\t')) block++;
    if (flow + block > deepest) deepest = flow + block;
  }
  return deepest;
}

/** Why the value is not read as YAML at all, or undefined when it may be parsed. */
export function yamlBoundsProblem(value: string): string | undefined {
  if (value.length > MAX_YAML_ANNOTATION_CHARS) return `${value.length} characters, more than the ${MAX_YAML_ANNOTATION_CHARS} read as YAML`;
  const depth = nesting(value);
  if (depth > MAX_YAML_ANNOTATION_DEPTH) return `nested ${depth} levels deep (open brackets, indentation and list indicators on a line), more than the ${MAX_YAML_ANNOTATION_DEPTH} read as YAML`;
  return undefined;
}

/** Parses an annotation's YAML; throws an Error saying why when it is out of bounds or not YAML. */
export function parseYamlAnnotation(value: string): unknown {
  const problem = yamlBoundsProblem(value);
  if (problem !== undefined) throw new Error(problem);
  // Warnings (unknown tags, directives) would go to the process's stderr once per review.
  // Pretty errors quote the text around each error, found by scanning from the start: quadratic
  // in a value with thousands of errors (8 KiB of `"` took 0.2 s). The position stays in the message.
  return parse(value, { logLevel: 'error', prettyErrors: false });
}
