/**
 * The JSON layout Go's encoding/json gives Istio's prober structs: fields in struct order, empty
 * `omitempty` fields left out, map keys sorted, and `<`, `>`, `&`, U+2028 and U+2029 escaped
 * (`\u003c`...). Tools compare the ISTIO_KUBE_APP_PROBERS string itself, so the layout matters.
 */

const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;

/** A JSON string literal as Go writes it. */
export function goString(value: string): string {
  const json = JSON.stringify(value);
  return GO_ESCAPED.test(json) ? json.replace(GO_ESCAPED_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/**
 * The members of an object so far, `members`, with `"name":encoded` added (nothing when `encoded`
 * is undefined, an `omitempty` field left out). `name` is one of the structs' own field names,
 * plain ASCII letters, which Go writes as they are.
 */
export function goMember(members: string, name: string, encoded: string | undefined): string {
  return encoded === undefined ? members : withMember(members, `"${name}"`, encoded);
}

/** `members` with `key:encoded` added, `key` already written as JSON. */
function withMember(members: string, key: string, encoded: string): string {
  return `${members}${members === '' ? '' : ','}${key}:${encoded}`;
}

/** An object from already-encoded members, in the order given; undefined members are left out. */
export function goObject(members: ReadonlyArray<readonly [string, string | undefined]>): string {
  let out = '';
  for (const [name, encoded] of members) if (encoded !== undefined) out = withMember(out, goString(name), encoded);
  return `{${out}}`;
}

/** A Go map: keys sorted bytewise (UTF-16 order equals it for the ASCII keys used here). */
export function goMap(entries: Map<string, string>): string {
  let out = '';
  for (const key of [...entries.keys()].sort()) out = withMember(out, goString(key), entries.get(key)!);
  return `{${out}}`;
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
