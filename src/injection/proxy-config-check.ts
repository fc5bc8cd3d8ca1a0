/**
 * Whether a `proxy.istio.io/config` value reads as a ProxyConfig the way Istio reads it: YAML
 * resolved by go-yaml (YAML 1.1: `y` and `on` are booleans), converted to JSON, then decoded with
 * protobuf's JSON rules: a string field takes only a string, a bool only a boolean, an integer a
 * whole number (or one in quotes), an enum one of its names, a duration Go's form (`1m30s`).
 * Fields it does not know are ignored, as Istio ignores them. The description of ProxyConfig
 * (proxy-config-types.ts) is generated from the Istio API module Istio is built with.
 */
import { parseGoYaml, toJsonValue } from './go-yaml.js';
import { MESSAGES, PROXY_CONFIG_MESSAGE } from './proxy-config-types.js';

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const UNIT_NANOS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const INT64_MAX = 2n ** 63n - 1n;

/** Go's time.ParseDuration, in nanoseconds (`1m30s`, `1.5h`, `300ms`, `0`); undefined when Go refuses it. */
export function goDurationNanos(text: string): bigint | undefined {
  const match = /^([-+]?)(.*)$/s.exec(text)!;
  const body = match[2]!;
  if (body === '0') return 0n;
  if (body === '' || !/^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(body)) return undefined;
  let total = 0n;
  for (const [, whole = '', fraction = '', unit = 's'] of body.matchAll(/([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/g)) {
    const scale = UNIT_NANOS[unit]!;
    total += BigInt(whole || '0') * scale + (fraction === '' ? 0n : (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length));
    if (total > INT64_MAX) return undefined;
  }
  return match[1] === '-' ? -total : total;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Why `value` is not a `kind`, or undefined. */
function kindProblem(value: unknown, kind: string, path: string): string | undefined {
  if (kind.startsWith('[]')) {
    if (!Array.isArray(value)) return `${path}: a list expected, not ${describe(value)}`;
    for (const [i, item] of value.entries()) {
      const problem = kindProblem(item, kind.slice(2), `${path}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (kind.startsWith('map[')) {
    if (!isMap(value)) return `${path}: a map expected, not ${describe(value)}`;
    for (const [key, item] of Object.entries(value)) {
      const problem = kindProblem(item, kind.slice(4, -1), `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const range = INT_RANGES[kind];
  if (range !== undefined) {
    // A number, or a number in quotes (the quotes are simply dropped).
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
    if (text === undefined || !/^-?[0-9]+$/.test(text) || BigInt(text) < range[0] || BigInt(text) > range[1]) return `${path}: ${describe(value)} is not an ${kind}`;
    return undefined;
  }
  if (kind === 'float' || kind === 'double') {
    if (typeof value === 'number' || (typeof value === 'string' && (/^(NaN|-?Infinity)$/.test(value) || /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/.test(value)))) return undefined;
    return `${path}: ${describe(value)} is not a number`;
  }
  if (kind === 'bool') return typeof value === 'boolean' ? undefined : `${path}: ${describe(value)} is not a boolean`;
  if (kind === 'string' || kind === 'bytes') return typeof value === 'string' ? undefined : `${path}: ${describe(value)} is not a string`;
  if (kind.startsWith('enum:')) {
    if (typeof value === 'number' && Number.isInteger(value)) return undefined;
    if (typeof value === 'string' && kind.slice(5).split('|').includes(value)) return undefined;
    return `${path}: ${describe(value)} is not one of ${kind.slice(5).split('|').join(', ')}`;
  }
  if (kind === '@Duration') return typeof value === 'string' && goDurationNanos(value) !== undefined ? undefined : `${path}: ${describe(value)} is not a duration such as 45s or 1m30s`;
  if (kind === '@Timestamp') return typeof value === 'string' ? undefined : `${path}: ${describe(value)} is not a timestamp`;
  if (kind.startsWith('@')) return undefined;
  return messageProblem(value, kind, path);
}

function messageProblem(value: unknown, message: string, path: string): string | undefined {
  if (!isMap(value)) return path === '' ? `not a mapping of ProxyConfig fields (${describe(value)})` : `${path}: a map of fields expected, not ${describe(value)}`;
  for (const [jsonName, protoName, kind] of MESSAGES[message] ?? []) {
    // The proto name, then the JSON name (the latter wins when both are given).
    const key = Object.hasOwn(value, jsonName) ? jsonName : Object.hasOwn(value, protoName) ? protoName : undefined;
    if (key === undefined || value[key] === null) continue;
    const problem = kindProblem(value[key], kind, path === '' ? jsonName : `${path}.${jsonName}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Why Istio cannot read `text` as a ProxyConfig, or undefined when it can (an empty value or
 * `null` included). Fields' values are not validated here, only read.
 */
export function proxyConfigReadProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = toJsonValue(parseGoYaml(text));
  } catch (err) {
    return (err as Error).message;
  }
  if (value === null || value === undefined) return undefined;
  return messageProblem(value, PROXY_CONFIG_MESSAGE, '');
}

/**
 * A Go duration ('1m30s') as protobuf's JSON writes it: seconds, with 0, 3, 6 or 9 fractional
 * digits ('90s', '0.010s'); text Go cannot read is returned as it is. Linear in the text.
 */
export function protoDuration(text: string): string {
  const nanos = goDurationNanos(text);
  if (nanos === undefined) return text;
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const seconds = abs / 1_000_000_000n;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0');
  const digits = fraction === '000000000' ? '' : fraction.endsWith('000000') ? fraction.slice(0, 3) : fraction.endsWith('000') ? fraction.slice(0, 6) : fraction;
  return `${sign}${seconds}${digits === '' ? '' : `.${digits}`}s`;
}

function normalizeKind(value: unknown, kind: string): unknown {
  if (value === null || value === undefined) return value;
  if (kind.startsWith('[]')) return Array.isArray(value) ? value.map((v) => normalizeKind(v, kind.slice(2))) : value;
  if (kind.startsWith('map[')) return isMap(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeKind(v, kind.slice(4, -1))])) : value;
  // Protobuf's JSON writes 32-bit integers and floats as numbers, 64-bit integers as strings.
  if ((kind === 'int32' || kind === 'uint32' || kind === 'float' || kind === 'double') && typeof value === 'string' && /^-?[0-9.eE+-]+$/.test(value)) return Number(value);
  if ((kind === 'int64' || kind === 'uint64') && typeof value === 'number') return String(value);
  if (kind.startsWith('enum:') && typeof value === 'number') return kind.slice(5).split('|')[value] ?? value;
  if (kind === '@Duration' && typeof value === 'string') return protoDuration(value);
  if (MESSAGES[kind] !== undefined && isMap(value)) return normalizeMessage(value, kind);
  return value;
}

function normalizeMessage(value: Record<string, unknown>, message: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [jsonName, protoName, kind] of MESSAGES[message] ?? []) {
    const key = Object.hasOwn(value, jsonName) ? jsonName : Object.hasOwn(value, protoName) ? protoName : undefined;
    if (key !== undefined) out[jsonName] = normalizeKind(value[key], kind);
  }
  return out;
}

/**
 * The ProxyConfig fields of a value Istio reads (see proxyConfigReadProblem), as protobuf's JSON
 * writes them: JSON field names (`hold_application_until_proxy_starts` is
 * `holdApplicationUntilProxyStarts`), numbers in quotes read as numbers, enums by name; fields
 * ProxyConfig does not have left out, as Istio ignores them.
 */
export function normalizeProxyConfig(value: Record<string, unknown>): Record<string, unknown> {
  return normalizeMessage(value, PROXY_CONFIG_MESSAGE);
}
