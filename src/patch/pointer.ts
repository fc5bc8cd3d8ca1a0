/** JSON Pointer (RFC 6901) encoding and decoding of path segments. */

/** Escapes one segment: `~` becomes `~0`, `/` becomes `~1` (in that order). */
export function escapeSegment(segment: string): string {
  if (!segment.includes('~') && !segment.includes('/')) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Splits a pointer into decoded segments; `""` is the whole document. */
export function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer '${path}': must start with '/'`);
  const segments = path.slice(1).split('/');
  if (path.includes('~')) {
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment.includes('~')) segments[i] = segment.replaceAll('~1', '/').replaceAll('~0', '~');
    }
  }
  return segments;
}
