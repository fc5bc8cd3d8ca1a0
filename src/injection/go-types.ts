/**
 * Objects as `istioctl kube-inject` writes them: decoded into Kubernetes' Go types and encoded
 * again. Decoding drops fields the types do not have (key names match case-insensitively, as Go's
 * JSON decoder matches them) and refuses values of the wrong type; encoding leaves out empty
 * `omitempty` fields (`path: ""`, `initialDelaySeconds: 0`, `env: []`), writes the fields that
 * have no `omitempty` even when the input lacks them (`resources: {}`, `serviceName: ""`, a gRPC
 * probe's `service: null`, a status' counters) and writes quantities canonically. The types'
 * description (k8s-types.ts) is generated from the Kubernetes API module Istio is built with.
 */
import { InjectorError } from '../errors.js';
import { setOwn } from '../patch/equal.js';
import { goQuantityString } from './go-quantity.js';
import { GoFloat, goFloat32String, toJsonValue } from './go-yaml.js';
import { isValidQuantity } from './quantity.js';
import type { JsonObject } from './types.js';
import { KINDS, STRUCTS, type Field } from './k8s-types.js';

const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 2 ** 8 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's error for a value that its field's type cannot hold. */
function typeError(value: unknown, kind: string, path: string): InjectorError {
  const what = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value;
  return new InjectorError('INVALID_POD', `cannot read ${path || 'the object'}: a ${what} (${JSON.stringify(value)?.slice(0, 60)}) where Kubernetes expects ${kind.replace(/^@/, '')}`);
}

function zeroScalar(kind: string): unknown {
  if (kind === 'string') return '';
  if (kind === 'bool') return false;
  return 0;
}

function isScalarKind(kind: string): boolean {
  return kind === 'string' || kind === 'bool' || kind.startsWith('int') || kind.startsWith('uint') || kind.startsWith('float');
}

/** Decodes and encodes one value of `kind`; undefined stands for Go's nil. */
function shape(value: unknown, kind: string, path: string, coerce: boolean): unknown {
  if (value === undefined || value === null) return undefined;
  if (kind.startsWith('*')) return shape(value, kind.slice(1), path, coerce);
  if (value instanceof GoFloat) value = fromFloat(value, kind, path, coerce);
  else if (coerce && kind === 'string' && typeof value === 'number') value = Number.isInteger(value) ? String(value) : goFloat32String(value);
  else if (coerce && kind === 'string' && typeof value === 'boolean') value = String(value);
  if (kind.startsWith('[]')) {
    if (!Array.isArray(value)) throw typeError(value, kind, path);
    const element = kind.slice(2);
    return value.map((item, i) => {
      const shaped = shape(item, element, `${path}[${i}]`, coerce);
      return shaped === undefined ? zeroOf(element) : shaped;
    });
  }
  if (kind.startsWith('map[')) {
    if (!isMap(value)) throw typeError(value, kind, path);
    const element = kind.slice(4, -1);
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const shaped = shape(item, element, `${path}.${key}`, coerce);
      // Keys are plain keys (`__proto__` too): assigned, that one would replace the prototype.
      setOwn(out, key, shaped === undefined ? zeroOf(element) : shaped);
    }
    return out;
  }
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw typeError(value, kind, path);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(value, kind, path);
      return value;
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') throw typeError(value, kind, path);
      return value;
    case 'any':
    case 'bytes':
    case '@RawExtension':
    case '@FieldsV1':
      return toJsonValue(value);
    case '@Quantity':
      if ((typeof value !== 'string' && typeof value !== 'number') || !isValidQuantity(value)) throw typeError(value, 'a quantity such as 100m or 1Gi', path);
      return goQuantityString(value);
    case '@IntOrString':
      if (typeof value === 'string') return value;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT_RANGES.int32![0] || value > INT_RANGES.int32![1]) throw typeError(value, 'an int32 or a string', path);
      return value;
    case '@Time':
    case '@MicroTime':
      if (typeof value !== 'string') throw typeError(value, 'an RFC 3339 time', path);
      return value;
  }
  const range = INT_RANGES[kind];
  if (range !== undefined) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) throw typeError(value, kind, path);
    return value;
  }
  const fields = STRUCTS[kind];
  if (fields === undefined) return value;
  if (!isMap(value)) throw typeError(value, kind, path);
  return shapeStruct(value, fields, path, coerce);
}

/** What Go writes for a field the input did not set (or set to null). */
function zeroOf(kind: string): unknown {
  if (kind.startsWith('*') || kind.startsWith('[]') || kind.startsWith('map[') || kind === 'any' || kind === 'bytes') return null;
  if (isScalarKind(kind)) return zeroScalar(kind);
  switch (kind) {
    case '@Time':
    case '@MicroTime':
    case '@RawExtension':
    case '@FieldsV1':
      return null;
    case '@Quantity':
      return '0';
    case '@IntOrString':
      return 0;
  }
  const fields = STRUCTS[kind];
  return fields === undefined ? null : shapeStruct({}, fields, '', false);
}

/** Whether Go's omitempty leaves a (present) value out. */
function emptyForOmitempty(value: unknown, kind: string): boolean {
  if (kind.startsWith('*')) return false;
  if (Array.isArray(value)) return value.length === 0;
  if (kind.startsWith('map[')) return isMap(value) && Object.keys(value).length === 0;
  if (isScalarKind(kind)) return value === zeroScalar(kind);
  return false;
}

/** Whether Go's omitzero leaves a value out: the zero value of its type. */
function zeroForOmitzero(value: unknown, kind: string): boolean {
  if (value === undefined || value === null) return true;
  if (isScalarKind(kind)) return value === zeroScalar(kind);
  return false;
}

/** Finds the input key for a field: the exact name, else one that matches ignoring case. */
function inputKey(value: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(value, name)) return name;
  const lower = name.toLowerCase();
  let found: string | undefined;
  for (const key of Object.keys(value)) if (key.toLowerCase() === lower) found = key;
  return found;
}

function shapeStruct(value: JsonObject, fields: readonly Field[], path: string, coerce: boolean, out: JsonObject = {}): JsonObject {
  for (const [name, kind, options] of fields) {
    if (options.includes('i')) {
      const inline = STRUCTS[kind];
      if (inline !== undefined) shapeStruct(value, inline, path, coerce, out);
      continue;
    }
    const key = inputKey(value, name);
    const shaped = key === undefined ? undefined : shape(value[key], kind, path === '' ? name : `${path}.${name}`, coerce);
    if (options.includes('z') && zeroForOmitzero(shaped, kind)) continue;
    if (shaped === undefined) {
      const zero = zeroOf(kind);
      if (options.includes('o') && (zero === null || emptyForOmitempty(zero, kind))) continue;
      out[name] = zero;
      continue;
    }
    if (options.includes('o') && emptyForOmitempty(shaped, kind)) continue;
    out[name] = shaped;
  }
  return out;
}

/** Whether kube-inject reads objects of this kind into Go types (otherwise they pass unchanged). */
export function isGoKind(kind: unknown): boolean {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}

/**
 * A YAML float where a value of `kind` goes. YAML read straight into a Go type has its numbers
 * and booleans turned into strings where a string is expected (`coerce`, as sigs.k8s.io/yaml does:
 * `version: 1.0` is "1"); through JSON (a List's items) they are refused instead.
 */
function fromFloat(value: GoFloat, kind: string, path: string, coerce: boolean): unknown {
  if (kind === 'string') {
    if (coerce) return goFloat32String(value.value);
    throw typeError(value.value, kind, path);
  }
  if (INT_RANGES[kind] !== undefined && !Number.isInteger(value.value)) throw typeError(value.value, kind, path);
  return toJsonValue(value);
}

/**
 * The object as Go's types read and write it; objects of other kinds are returned as they are.
 * With `coerce`, numbers and booleans where a string is expected become strings, as when Go
 * reads YAML into the type directly. Throws INVALID_POD when a value has a type Kubernetes'
 * types cannot hold.
 */
export function goShape(object: JsonObject, coerce = false): JsonObject {
  const type = isGoKind(object.kind) ? KINDS[object.kind as string] : undefined;
  if (type === undefined) return object;
  return shapeStruct(object, STRUCTS[type]!, '', coerce);
}

/**
 * A container as Go's encoding/json writes a corev1.Container: fields in struct order, empty
 * optional ones left out, `<`, `>` and `&` escaped. Istio stores such JSON in annotations
 * (proxy.istio.io/overrides), and tools compare the strings.
 */
export function goContainerJson(container: JsonObject): string {
  return JSON.stringify(shapeStruct(container, STRUCTS.Container!, '', false)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
