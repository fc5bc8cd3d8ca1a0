/**
 * metadata.managedFields of a created pod, as the apiserver records them before admission runs:
 * one `Update` entry for the manager (the request's fieldManager, else the user agent up to its
 * first `/`), owning every field of the decoded and defaulted object, in the FieldsV1 format of
 * structured-merge-diff. Fields the admission chain adds later are owned by nobody.
 *
 * FieldsV1 in brief: `f:<name>` a field, `k:{...}` an element of a list keyed by some of its fields
 * (containers by name, ports by containerPort and protocol, ...), `v:<json>` an element of a set,
 * `.` the node itself when it is owned and also has owned children. Atomic lists and structs are
 * owned whole, as leaves.
 */

/** List fields whose elements are identified by keys, and those keys (the API's listMapKeys). */
const LIST_MAP_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  ports: ['containerPort', 'protocol'],
  env: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  schedulingGates: ['name'],
  resourceClaims: ['name'],
  claims: ['name'],
  ownerReferences: ['uid'],
};
/** List fields that are sets of scalars. Every other list is atomic. */
const SET_LISTS = new Set(['finalizers']);
/** Struct and map fields the API marks atomic (owned whole): object references and selectors. */
const ATOMIC_STRUCTS = new Set(['nodeSelector', 'fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef', 'secretRef', 'nodePublishSecretRef', 'labelSelector', 'namespaceSelector', 'dataSource', 'requiredDuringSchedulingIgnoredDuringExecution']);
/** Keyed lists whose elements are atomic (LocalObjectReference, OwnerReference). */
const ATOMIC_ELEMENTS = new Set(['imagePullSecrets', 'ownerReferences']);
/** Not recorded: set by the server (stripped by the field manager) or reset on create. */
const STRIPPED_METADATA = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']);

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The key of a keyed list element: `k:{"name":"web"}`, with the keys in the API's order. */
function elementKey(item: Record<string, unknown>, keys: string[]): string {
  const present = keys.filter((k) => item[k] !== undefined);
  return `k:{${present.map((k) => `${JSON.stringify(k)}:${JSON.stringify(item[k])}`).join(',')}}`;
}

/** The fields owned under a value the manager added (absent from the empty object it started from). */
function added(value: unknown, field: string): Fields {
  if (Array.isArray(value)) {
    if (value.length === 0) return {};
    const keys = LIST_MAP_KEYS[field];
    if (keys !== undefined) {
      const node: Fields = { '.': {} };
      for (const item of value) if (isObject(item)) node[elementKey(item, keys)] = ATOMIC_ELEMENTS.has(field) ? {} : added(item, '');
      return node;
    }
    if (SET_LISTS.has(field)) {
      const node: Fields = { '.': {} };
      for (const item of value) node[`v:${JSON.stringify(item)}`] = {};
      return node;
    }
    return {};
  }
  if (!isObject(value) || ATOMIC_STRUCTS.has(field) || Object.keys(value).length === 0) return {};
  return { '.': {}, ...children(value) };
}

function children(value: Record<string, unknown>): Fields {
  const node: Fields = {};
  for (const [key, child] of Object.entries(value)) if (child !== undefined) node[`f:${key}`] = added(child, key);
  return node;
}

/**
 * FieldsV1 of a pod created by one manager. The apiserver compares the new object with an empty
 * Pod, in which metadata, spec, status and spec.containers already exist (so they are not owned
 * themselves, only what is under them); status is reset on create, so it is not recorded.
 */
export function createdFields(pod: Record<string, any>): Fields {
  const out: Fields = {};
  const metadata = Object.fromEntries(Object.entries(pod.metadata ?? {}).filter(([k]) => !STRIPPED_METADATA.has(k)));
  if (Object.keys(metadata).length > 0) out['f:metadata'] = children(metadata);
  const spec: Record<string, unknown> = { ...pod.spec };
  if (Object.keys(spec).length > 0) {
    const { containers, ...rest } = spec;
    const node = children(rest);
    if (Array.isArray(containers) && containers.length > 0) {
      const list = added(containers, 'containers');
      delete list['.'];
      node['f:containers'] = list;
    }
    out['f:spec'] = node;
  }
  return out;
}

/** The `manager` the apiserver records: the fieldManager, else the user agent up to its first `/`. */
export function managerName(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const prefix = [...(userAgent ?? '').split('/')[0]!].filter((ch) => ch >= ' ' && ch !== '\x7f').join('').slice(0, 128);
  return prefix === '' ? 'unknown' : prefix;
}

/** RFC 3339 in UTC at whole seconds, as metav1.Time is written. */
export function apiTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The single managedFields entry of a pod created by `manager` at `time`. */
export function creationManagedFields(pod: Record<string, any>, manager: string, time: Date): unknown[] {
  return [{ manager, operation: 'Update', apiVersion: 'v1', time: apiTime(time), fieldsType: 'FieldsV1', fieldsV1: createdFields(pod) }];
}
