/**
 * Differences from Istio that are deliberate (docs/FIDELITY.md says why, and a test pins our side).
 * The differential fuzzer counts a difference that one of these explains as explained, not as a
 * finding. Each test is narrow: it recognises the situation, and the differences must all lie
 * where that situation shows.
 */
import { parseDocuments, type Verdict } from './compare.js';
import type { Outcome } from './injectors.js';

export interface Divergence {
  id: string;
  /** One line; docs/FIDELITY.md has the full reason. */
  summary: string;
  explains(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): boolean;
}

function isMap(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod specs of an object: a Pod's, a workload's template's, a CronJob's, a List's items'. */
export function podSpecs(object: unknown): Record<string, any>[] {
  if (!isMap(object)) return [];
  if (object.kind === 'List') return (Array.isArray(object.items) ? object.items : []).flatMap(podSpecs);
  const spec = object.kind === 'Pod' ? object.spec : object.kind === 'CronJob' ? object.spec?.jobTemplate?.spec?.template?.spec : object.spec?.template?.spec;
  return isMap(spec) ? [spec] : [];
}

function specsOf(outcome: Outcome): Record<string, any>[] {
  if ('error' in outcome) return [];
  try {
    return parseDocuments(outcome.output).flatMap(podSpecs);
  } catch {
    return [];
  }
}

function containers(spec: Record<string, any>): Record<string, any>[] {
  return [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])].filter(isMap);
}

function hasDuplicateNames(spec: Record<string, any>): boolean {
  const names = containers(spec).map((c) => c.name);
  return new Set(names).size !== names.length;
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'];
const HOOKS = ['postStart', 'preStop'];

function pointsAtPortZero(spec: Record<string, any>): boolean {
  return containers(spec).some((c) => [...PROBES.map((p) => c[p]), ...HOOKS.map((h) => c.lifecycle?.[h])].some((handler) => isMap(handler) && handler.httpGet?.port === 0));
}

function allDifferencesMatch(verdict: Verdict, pattern: RegExp): boolean {
  return verdict.kind === 'output' && verdict.differences.every((d) => pattern.test(d.path));
}

export const DIVERGENCES: Divergence[] = [
  {
    id: 'probes-at-port-0',
    summary: "Istio points app probes at port 0 (status port annotation \"0\", or one Go's Atoi cannot read): the apiserver refuses the pod; we leave the probes as they are",
    explains: (_input, istio, ours, verdict) =>
      specsOf(istio).some(pointsAtPortZero) &&
      !specsOf(ours).some(pointsAtPortZero) &&
      allDifferencesMatch(verdict, /\.(readinessProbe|livenessProbe|startupProbe|lifecycle)(\.|$)|\[name=ISTIO_KUBE_APP_PROBERS\]/),
  },
  {
    id: 'duplicate-container-names',
    summary: 'Istio adds a container under a name the pod already uses (the apiserver refuses the pod); we merge it into the one of that name',
    explains: (input, istio, ours) =>
      !podSpecs(input).some(hasDuplicateNames) && specsOf(istio).some(hasDuplicateNames) && specsOf(ours).length > 0 && !specsOf(ours).some(hasDuplicateNames),
  },
];

/** The id of the deliberate divergence that explains a difference, if one does. */
export function explain(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): string | undefined {
  return DIVERGENCES.find((d) => d.explains(input, istio, ours, verdict))?.id;
}
