/**
 * What an earlier injection left on a pod, read the way Istio reads it: the status annotation
 * (`sidecar.istio.io/status`), the user's overrides (`proxy.istio.io/overrides`) and the proxy's
 * ISTIO_KUBE_APP_PROBERS. The pod's creator can write anything there, so each is checked against
 * the Go type Istio decodes it into, and a value Istio could not decode gets Istio's treatment:
 *
 * | value                            | Istio                                   | here                                   |
 * |----------------------------------|-----------------------------------------|----------------------------------------|
 * | status `null`                    | decodes to an empty status              | nothing is taken out; re-rendered      |
 * | status unreadable or wrong types | ignored: nothing is taken out           | the same                               |
 * | overrides unreadable, wrong types| the injection fails: the pod is denied  | denied, 400 naming the annotation      |
 * | probers `null`                   | no earlier probers                      | the same                               |
 * | probers unreadable or wrong types| kept as they are, nothing merged        | the same                               |
 *
 * Go's encoding/json (which Istio uses here, unlike the apiserver) matches field names without
 * regard to case, and reads `null` as "absent".
 */
import { InjectorError } from '../errors.js';
import { isJsonObject } from '../patch/equal.js';
import { GoTypes } from '../patch/go-types.js';
import { POD_TYPES } from '../patch/pod-types.js';
import { shownValue } from './annotations/shown-value.js';
import type { JsonObject } from './types.js';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
export const OVERRIDES_ANNOTATION = 'proxy.istio.io/overrides';

/** Istio's SidecarInjectionStatus and its probers, in the type codes of go-types.ts. */
const istioTypes = new GoTypes(
  {
    ...POD_TYPES,
    SidecarInjectionStatus: { initContainers: '[]string', containers: '[]string', volumes: '[]string', imagePullSecrets: '[]string', revision: 'string' },
    Prober: { httpGet: 'HTTPGetAction', tcpSocket: 'TCPSocketAction', grpc: 'GRPCAction', timeoutSeconds: 'int32' },
  },
  true,
);

/** The names an earlier injection added, by list. */
export interface InjectionStatus {
  initContainers: string[];
  containers: string[];
  volumes: string[];
  imagePullSecrets: string[];
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Go's encoding/json field lookup: the exact name, else one that differs only in case. */
function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

/**
 * The status an earlier injection recorded; undefined when it cannot be read (then, as in Istio,
 * nothing is taken out of the pod). `null` reads as a status that lists nothing.
 */
export function readStatus(raw: string): InjectionStatus | undefined {
  const parsed = parseJson(raw);
  if (parsed === undefined || (parsed.value !== null && !istioTypes.accepts(parsed.value, 'SidecarInjectionStatus'))) return undefined;
  const status = (parsed.value ?? {}) as JsonObject;
  const list = (name: string) => ((field(status, name) ?? []) as string[]).slice();
  return { initContainers: list('initContainers'), containers: list('containers'), volumes: list('volumes'), imagePullSecrets: list('imagePullSecrets') };
}

/**
 * The user's own containers an earlier injection recorded (Istio re-inserts each one the pod no
 * longer has). Istio fails the injection on a value it cannot decode; so does this, with a 400
 * naming the annotation. As Go decodes it, a `null` entry is an empty container and an entry may
 * lack a name: neither matches a container, so neither is ever inserted (Istio's injector,
 * asked, injects such pods).
 */
export function readOverrides(raw: string): { containers: JsonObject[]; initContainers: JsonObject[] } {
  const fail = (why: string): never => {
    throw new InjectorError('INVALID_ANNOTATION', `invalid value '${shownValue(raw)}' for annotation '${OVERRIDES_ANNOTATION}': ${why} (this annotation records, as JSON, the containers named like injected ones that a pod brought with it)`);
  };
  const parsed = parseJson(raw);
  if (parsed === undefined) return fail('not valid JSON');
  if (parsed.value === null) return { containers: [], initContainers: [] };
  if (!isJsonObject(parsed.value)) return fail('not a JSON object');
  const out = { containers: [] as JsonObject[], initContainers: [] as JsonObject[] };
  for (const list of ['containers', 'initContainers'] as const) {
    const value = field(parsed.value, list);
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) return fail(`${list}: ${istioTypes.problem(value, '[]Container')}`);
    value.forEach((container: unknown, i) => {
      const problem = container === null ? undefined : istioTypes.problem(container, 'Container');
      // A path below the container (`image: ...`, `ports[0]...`) or the container itself (`expected ...`).
      if (problem !== undefined) fail(`${list}[${i}]${problem.startsWith('expected') ? ': ' : problem.startsWith('[') ? '' : '.'}${problem}`);
    });
    out[list] = value.map((container: JsonObject | null) => container ?? {});
  }
  return out;
}

/** An earlier ISTIO_KUBE_APP_PROBERS: URL to the original handler (null entries kept as null). */
export type RecordedProbers = Record<string, JsonObject | null>;

/**
 * The probers an earlier injection recorded, or undefined when Istio could not decode them (a
 * map of Istio's Prober struct); then Istio keeps the value as it is and merges nothing into it.
 */
export function readProbers(raw: string): RecordedProbers | undefined {
  const parsed = parseJson(raw);
  if (parsed === undefined) return undefined;
  if (parsed.value === null) return {};
  if (!isJsonObject(parsed.value)) return undefined;
  // Go reads a `null` entry as a nil pointer (go-types refuses null map values, so not `map[]Prober`).
  const readable = Object.values(parsed.value).every((value) => value === null || istioTypes.accepts(value, 'Prober'));
  return readable ? (parsed.value as RecordedProbers) : undefined;
}
