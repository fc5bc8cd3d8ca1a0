/**
 * Locates the review's uid in the raw JSON of an AdmissionReview, without parsing it. Two reviews
 * of replicas of one workload are the same text but for that uid, so the review cache keys on
 * the text with the uid left out: hashing 4 KB of text costs a fraction of serializing the parsed
 * pod again. The apiserver writes the uid first in `request`, so the scan stops after a few dozen
 * characters.
 *
 * Exactness: the span is the string value of a key written literally `uid` directly in an object
 * that is the value of a top-level key written literally `request`. JSON.parse puts that value at
 * `request.uid` or nowhere (a later duplicate key replaces it), and nothing but the answer's uid
 * depends on `request.uid`. So two bodies equal outside their spans get equal answers but for the
 * uid; a body is never matched to one that differs anywhere else.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/** Index just past the string whose opening quote is at `start`, or -1 when it is unterminated. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let j = quote - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
  return i;
}

/**
 * `[start, end)` of the uid's string value, quotes included, in `text` (JSON that parsed as an
 * object); undefined when there is none where the module comment says.
 */
export function uidSpan(text: string): [number, number] | undefined {
  // The key each open container is the value of, from the root: [undefined, 'request', ...].
  const path: (string | undefined)[] = [];
  let key: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return undefined;
      const after = skipSpace(text, end);
      if (text.charCodeAt(after) !== COLON) {
        i = end - 1;
        continue;
      }
      key = text.slice(i + 1, end - 1);
      i = after;
      if (path.length === 2 && path[1] === 'request' && key === 'uid') {
        const start = skipSpace(text, after + 1);
        if (text.charCodeAt(start) !== QUOTE) return undefined;
        const stop = stringEnd(text, start);
        return stop === -1 ? undefined : [start, stop];
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      path.push(key);
      key = undefined;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      path.pop();
      key = undefined;
      // Past the first top-level object or list: not a review as the apiserver writes it.
      if (path.length === 1) return undefined;
    }
  }
  return undefined;
}
