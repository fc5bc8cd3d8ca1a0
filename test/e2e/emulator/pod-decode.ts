/**
 * The apiserver's lenient decode of a patched Pod into its typed struct: unknown fields are
 * dropped silently, a value of the wrong type fails the request with a 500, and empty lists and
 * maps vanish on the way back to JSON (omitempty). The field catalogue comes from the generated
 * core/v1 models of @kubernetes/client-node (type metadata only; no client is created).
 */
import * as models from '@kubernetes/client-node';
import { canonicalQuantity, QuantityError } from './quantity.js';

export class DecodeError extends Error {
  /** A conversion error is not wrapped as an internal error by the apiserver (no `Internal error occurred:`). */
  constructor(
    message: string,
    readonly conversion = false,
  ) {
    super(message);
  }
}

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

// Fields of type resource.Quantity: parsed from strings or JSON numbers, written back canonical.
const QUANTITY_FIELDS = new Set(['limits', 'requests', 'overhead', 'sizeLimit', 'divisor', 'capacity', 'allocatable']);
// Lists Go encodes even when empty (no omitempty).
const KEEP_EMPTY = new Set(['containers']);

/**
 * Fields Kubernetes 1.37 has and the client-node catalogue (1.4) lacks: the apiserver decodes
 * them (feature-gated ones are dropped only when the pod is stored), so they must not vanish here.
 */
const INT64 = { type: 'number', format: 'int64' };
const NEWER_FIELDS: Record<string, Record<string, { type: string; format?: string }>> = {
  V1PodSpec: { schedulingGroup: { type: 'any' }, evictionResponders: { type: 'Array<any>' } },
  V1HTTPGetAction: { protocol: { type: 'string' } },
  V1GRPCAction: { mode: { type: 'string' } },
  V1VolumeMount: { bindMountOptions: { type: 'Array<string>' } },
  V1EmptyDirVolumeSource: { mode: { type: 'number', format: 'int32' } },
  V1ConfigMapVolumeSource: { defaultUser: INT64 },
  V1SecretVolumeSource: { defaultUser: INT64 },
  V1DownwardAPIVolumeSource: { defaultUser: INT64 },
  V1ProjectedVolumeSource: { defaultUser: INT64 },
  V1KeyToPath: { user: INT64 },
  V1DownwardAPIVolumeFile: { user: INT64 },
  V1ClusterTrustBundleProjection: { user: INT64 },
  V1ServiceAccountTokenProjection: { user: INT64 },
  V1PodCertificateProjection: { user: INT64, userAnnotations: { type: '{ [key: string]: string; }' } },
  V1PodStatus: { allocatedResources: { type: 'any' }, resources: { type: 'any' }, nodeAllocatableResourceClaimStatuses: { type: 'Array<any>' }, volumeHealth: { type: 'Array<any>' } },
};

const catalogue = new Map<string, Attribute[] | undefined>();

function attributesOf(type: string): Attribute[] | undefined {
  if (catalogue.has(type)) return catalogue.get(type);
  const model = (models as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[type];
  const attributes = model?.getAttributeTypeMap?.();
  const newer = Object.entries(NEWER_FIELDS[type] ?? {}).map(([baseName, t]) => ({ baseName, type: t.type, format: t.format ?? '' }));
  const all = attributes === undefined ? undefined : [...attributes, ...newer];
  catalogue.set(type, all);
  return all;
}

/** Where the decoder is: the Go struct whose field it reads, and the JSON path without indexes. */
interface At {
  struct: string;
  path: string;
}

/** The Go type a client-node type name stands for, as encoding/json names it in errors. */
function goType(type: string, format: string): string {
  const list = /^Array<(.+)>$/.exec(type);
  if (list) return `[]${goType(list[1]!, format)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[string]${goType(map[1]!, '')}`;
  if (type === 'string') return 'string';
  if (type === 'boolean') return 'bool';
  if (type === 'number') return format.startsWith('int') ? format : 'float64';
  if (type === 'Date') return 'v1.Time';
  if (type === 'IntOrString') return 'intstr.IntOrString';
  return `v1.${type.replace(/^(CoreV1|V1)/, '')}`;
}

/** encoding/json's name for the kind of a JSON value. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

function fail(at: At, goTypeName: string, value: unknown): never {
  const what = typeof value === 'number' && goTypeName.startsWith('int') ? `number ${value}` : jsonKind(value);
  throw new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${at.struct}.${at.path} of type ${goTypeName}`);
}

const INT_RANGE: Record<string, [number, number]> = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

function decodeValue(value: unknown, type: string, format: string, at: At, field: string): unknown {
  if (value === null) return undefined;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) fail(at, goType(type, format), value);
    return value.map((item) => decodeValue(item, list[1]!, format, at, field) ?? null);
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) fail(at, goType(type, format), value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) {
      // Go maps have no prototype: `__proto__` is a key like any other.
      const decoded = QUANTITY_FIELDS.has(field) ? quantity(v) : (decodeValue(v, map[1]!, '', at, k) ?? (map[1] === 'string' ? '' : null));
      Object.defineProperty(out, k, { value: decoded, writable: true, enumerable: true, configurable: true });
    }
    return out;
  }
  switch (type) {
    case 'string':
      if (QUANTITY_FIELDS.has(field)) return quantity(value);
      if (typeof value !== 'string') fail(at, 'string', value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(at, 'bool', value);
      return value;
    case 'number': {
      const name = goType(type, format);
      if (typeof value !== 'number') fail(at, name, value);
      const range = INT_RANGE[format];
      if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) fail(at, name, value);
      return value;
    }
    case 'Date':
      if (typeof value !== 'string') fail(at, 'v1.Time', value);
      return value;
    case 'IntOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) fail(at, 'intstr.IntOrString', value);
      return value;
    case 'any':
    case 'object':
      return value;
    default: {
      const attributes = attributesOf(type);
      if (attributes === undefined) return value;
      if (typeof value !== 'object' || Array.isArray(value)) fail(at, goType(type, format), value);
      const struct = type.replace(/^(CoreV1|V1)/, '');
      const out: Record<string, unknown> = {};
      for (const a of attributes) {
        if (!Object.prototype.hasOwnProperty.call(value, a.baseName)) continue;
        const raw = (value as Record<string, unknown>)[a.baseName];
        const decoded = decodeValue(raw, a.type, a.format, { struct, path: at.path === '' ? a.baseName : `${at.path}.${a.baseName}` }, a.baseName);
        if (decoded === undefined) continue;
        const empty = Array.isArray(decoded) ? decoded.length === 0 : a.type.startsWith('{') && Object.keys(decoded as object).length === 0;
        if (empty && !KEEP_EMPTY.has(a.baseName)) continue;
        out[a.baseName] = decoded;
      }
      return out;
    }
  }
}

/** A resource.Quantity: its UnmarshalJSON accepts a string or a number and fails the decode otherwise. */
function quantity(value: unknown): string {
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new QuantityError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    return canonicalQuantity(value);
  } catch (err) {
    if (err instanceof QuantityError) throw new DecodeError(err.message);
    throw err;
  }
}

/**
 * Decodes patched Pod JSON as the apiserver does; throws DecodeError where Go's decoder fails. A
 * patched object of another kind fails the conversion back to the internal Pod.
 */
export function decodePod(json: unknown): any {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DecodeError(`couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(json)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  const obj = json as Record<string, unknown>;
  if (obj.apiVersion !== 'v1' || obj.kind !== 'Pod') {
    // Go names the types by package and name: the package of a built-in kind is its version.
    const version = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const goPackage = version.slice(version.indexOf('/') + 1);
    throw new DecodeError(`converting (${goPackage}.${String(obj.kind)}) to (core.Pod): unknown conversion`, true);
  }
  const decoded = decodeValue(obj, 'V1Pod', '', { struct: 'Pod', path: '' }, '') as Record<string, any>;
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  // A zero creationTimestamp is encoded as null by apiservers before 1.34; keep what came in.
  if (metadata.creationTimestamp === null) decoded.metadata = { ...decoded.metadata, creationTimestamp: null };
  decoded.metadata ??= {};
  decoded.spec ??= {};
  decoded.status ??= {};
  return decoded;
}
