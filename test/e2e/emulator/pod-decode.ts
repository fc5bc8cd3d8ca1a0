/**
 * The apiserver's lenient decode of a patched Pod into its typed struct: unknown fields are
 * dropped silently, a value of the wrong type fails the request with a 500, and empty lists and
 * maps vanish on the way back to JSON (omitempty). The field catalogue comes from the generated
 * core/v1 models of @kubernetes/client-node (type metadata only; no client is created).
 */
import * as models from '@kubernetes/client-node';

export class DecodeError extends Error {}

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

// Fields of type resource.Quantity, which Go also accepts as JSON numbers.
const QUANTITY_FIELDS = new Set(['limits', 'requests', 'overhead', 'sizeLimit', 'divisor', 'capacity', 'allocatable']);
// Lists Go encodes even when empty (no omitempty).
const KEEP_EMPTY = new Set(['containers']);

function attributesOf(type: string): Attribute[] | undefined {
  const model = (models as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[type];
  return model?.getAttributeTypeMap?.();
}

function fail(path: string, expected: string, value: unknown): never {
  throw new DecodeError(`json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field ${path} of type ${expected}`);
}

function decodeValue(value: unknown, type: string, format: string, path: string, field: string): unknown {
  if (value === null) return undefined;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) fail(path, type, value);
    return value.map((item, i) => decodeValue(item, list[1]!, format, `${path}[${i}]`, field) ?? null);
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) fail(path, 'map', value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) {
      // Go maps have no prototype: `__proto__` is a key like any other.
      const decoded = QUANTITY_FIELDS.has(field) && typeof v === 'number' ? v : decodeValue(v, map[1]!, '', `${path}.${k}`, k);
      Object.defineProperty(out, k, { value: decoded, writable: true, enumerable: true, configurable: true });
    }
    return out;
  }
  switch (type) {
    case 'string':
      if (QUANTITY_FIELDS.has(field) && typeof value === 'number') return value;
      if (typeof value !== 'string') fail(path, 'string', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(path, 'bool', value);
      return value;
    case 'number':
      if (typeof value !== 'number' || (format.startsWith('int') && !Number.isInteger(value))) fail(path, format || 'number', value);
      return value;
    case 'Date':
      if (typeof value !== 'string') fail(path, 'Time', value);
      return value;
    case 'IntOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) fail(path, 'IntOrString', value);
      return value;
    case 'any':
    case 'object':
      return value;
    default: {
      const attributes = attributesOf(type);
      if (attributes === undefined) return value;
      if (typeof value !== 'object' || Array.isArray(value)) fail(path, type, value);
      const out: Record<string, unknown> = {};
      for (const a of attributes) {
        if (!Object.prototype.hasOwnProperty.call(value, a.baseName)) continue;
        const raw = (value as Record<string, unknown>)[a.baseName];
        const decoded = decodeValue(raw, a.type, a.format, `${path}.${a.baseName}`, a.baseName);
        if (decoded === undefined) continue;
        const empty = Array.isArray(decoded) ? decoded.length === 0 : a.type.startsWith('{') && Object.keys(decoded as object).length === 0;
        if (empty && !KEEP_EMPTY.has(a.baseName)) continue;
        out[a.baseName] = decoded;
      }
      return out;
    }
  }
}

/** Decodes patched Pod JSON as the apiserver does; throws DecodeError where Go's decoder fails. */
export function decodePod(json: unknown): any {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DecodeError('json: cannot unmarshal the patched object into a Pod');
  const obj = json as Record<string, unknown>;
  if (obj.apiVersion !== 'v1' || obj.kind !== 'Pod') throw new DecodeError(`the patched object is ${String(obj.apiVersion)}, Kind=${String(obj.kind)}, not v1, Kind=Pod`);
  const decoded = decodeValue(obj, 'V1Pod', '', 'Pod', '') as Record<string, any>;
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  // A zero creationTimestamp is encoded as null by apiservers before 1.34; keep what came in.
  if (metadata.creationTimestamp === null) decoded.metadata = { ...decoded.metadata, creationTimestamp: null };
  decoded.metadata ??= {};
  decoded.spec ??= {};
  decoded.status ??= {};
  return decoded;
}
