/**
 * What the apiserver does to a pod after the last patch: v1 defaulting, then ValidatePodCreate.
 * The checks that matter to an injector are written out with the apiserver's field paths, messages
 * and order (volumes, then each container: ports, env, mounts, then its name's uniqueness; then init
 * containers against all names so far); the kubernetes-models schema covers types, required fields
 * and quantities after them.
 */
import { Pod } from 'kubernetes-models/v1';

/** Defaulting lives in pod-defaults.ts; re-exported for callers that validate defaulted pods. */
export { defaultPod } from './pod-defaults.js';

/** One field.Error: `<field>: <type>[: <detail>]`, as the apiserver prints it. */
export interface FieldError {
  field: string;
  /** The StatusCause reason: FieldValueRequired, FieldValueDuplicate, FieldValueNotFound, FieldValueInvalid. */
  reason: string;
  message: string;
}

const goValue = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
const required = (field: string): FieldError => ({ field, reason: 'FieldValueRequired', message: 'Required value' });
const duplicate = (field: string, value: unknown): FieldError => ({ field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${goValue(value)}` });
const notFound = (field: string, value: unknown): FieldError => ({ field, reason: 'FieldValueNotFound', message: `Not found: ${goValue(value)}` });
const invalid = (field: string, value: unknown, detail: string): FieldError => ({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${goValue(value)}: ${detail}` });

/** `<field>: <message>`, one error as it appears in the Status message. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}

function containerErrors(c: any, path: string, volumes: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  (c.ports ?? []).forEach((p: any, i: number) => {
    if (!(p.containerPort >= 1 && p.containerPort <= 65535)) errors.push(invalid(`${path}.ports[${i}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
  });
  (c.env ?? []).forEach((e: any, i: number) => {
    if (e.valueFrom !== undefined && typeof e.value === 'string' && e.value !== '') errors.push(invalid(`${path}.env[${i}].valueFrom`, '', 'may not be specified when `value` is not empty'));
  });
  (c.volumeMounts ?? []).forEach((m: any, i: number) => {
    if (!volumes.has(m.name)) errors.push(notFound(`${path}.volumeMounts[${i}].name`, m.name));
  });
  return errors;
}

/** The apiserver's errors for a pod, in its order; empty when the pod is valid. */
export function podErrors(pod: any): FieldError[] {
  const errors: FieldError[] = [];
  const spec = pod?.spec ?? {};
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v: any, i: number) => {
    if (volumes.has(v.name)) errors.push(duplicate(`spec.volumes[${i}].name`, v.name));
    volumes.add(v.name);
  });
  const containers: any[] = spec.containers ?? [];
  const names = new Set<string>();
  if (containers.length === 0) errors.push(required('spec.containers'));
  containers.forEach((c, i) => {
    errors.push(...containerErrors(c, `spec.containers[${i}]`, volumes));
    if (names.has(c.name)) errors.push(duplicate(`spec.containers[${i}].name`, c.name));
    names.add(c.name);
  });
  (spec.initContainers ?? []).forEach((c: any, i: number) => {
    errors.push(...containerErrors(c, `spec.initContainers[${i}]`, volumes));
    if (names.has(c.name)) errors.push(duplicate(`spec.initContainers[${i}].name`, c.name));
    else if (c.name) names.add(c.name);
  });
  try {
    new Pod(pod).validate();
  } catch (err) {
    errors.push({ field: 'schema', reason: 'FieldValueInvalid', message: (err as Error).message });
  }
  return errors;
}

/** Lists what the apiserver would refuse, one line per error; empty when the pod is valid. */
export function validatePod(pod: any): string[] {
  return podErrors(pod).map(formatFieldError);
}
