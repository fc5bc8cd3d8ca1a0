/**
 * The JSON layout Go's encoding/json gives Istio's prober structs: fields in struct order, empty
 * `omitempty` fields left out, map keys sorted, and `<`, `>`, `&`, U+2028 and U+2029 escaped
 * (`\u003c`...). Tools compare the ISTIO_KUBE_APP_PROBERS string itself, so the layout matters.
 */

/** A JSON string literal as Go writes it. */
export function goString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An object from already-encoded members, in the order given; undefined members are left out. */
export function goObject(members: ReadonlyArray<readonly [string, string | undefined]>): string {
  const parts: string[] = [];
  for (const [name, encoded] of members) if (encoded !== undefined) parts.push(`${goString(name)}:${encoded}`);
  return `{${parts.join(',')}}`;
}

/** A Go map: keys sorted bytewise (UTF-16 order equals it for the ASCII keys used here). */
export function goMap(entries: Map<string, string>): string {
  const keys = [...entries.keys()].sort();
  return goObject(keys.map((key) => [key, entries.get(key)!] as const));
}

/** A string field with `omitempty`. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? goString(value) : undefined;
}

/** A string field without `omitempty` (absent is ""). */
export function requiredString(value: unknown): string {
  return goString(typeof value === 'string' ? value : '');
}

/** An int32 field; absent or not a number is 0. */
export function int(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : '0';
}

/** An IntOrString field: a number stays a number, a string stays a string, absent is 0. */
export function intOrString(value: unknown): string {
  return typeof value === 'string' ? goString(value) : int(value);
}
