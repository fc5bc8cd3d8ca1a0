/**
 * Differences from Istio that are deliberate (docs/FIDELITY.md says why, and a test pins our side).
 * The differential fuzzer counts a difference that one of these explains as explained, not as a
 * finding. Each test is narrow: it recognises the situation, and the differences must all lie
 * where that situation shows.
 */
import { documentsOf as readDocuments, type Verdict } from './compare.js';
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
  return documentsOf(outcome).flatMap(podSpecs);
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

function documentsOf(outcome: Outcome): unknown[] {
  if ('error' in outcome) return [];
  try {
    return readDocuments(outcome);
  } catch {
    return [];
  }
}

/** The value at a difference's path (`$[0].spec.containers[name=app].env`). */
function valueAt(documents: unknown[], path: string): unknown {
  let value: unknown = documents;
  for (const [, index, name, key, quoted] of path.slice(1).matchAll(/\[(\d+)\]|\[name=([^\]]*)\]|\.([A-Za-z_][A-Za-z0-9_]*)|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (index !== undefined) value = Array.isArray(value) ? value[Number(index)] : undefined;
    else if (name !== undefined) value = Array.isArray(value) ? value.find((v) => isMap(v) && v.name === name) : undefined;
    else value = isMap(value) ? value[key ?? JSON.parse(quoted!)] : undefined;
  }
  return value;
}

/** JSON with map keys sorted, for comparing values whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isMap(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Two lists of variables that give a container the same environment: the same names, as many
 * times each, and for each name the same last entry (the one Kubernetes uses); some name repeats.
 */
function sameRepeats(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const byName = (list: unknown[]) => {
    const out = new Map<string, string[]>();
    for (const e of list) out.set(String((e as any)?.name), [...(out.get(String((e as any)?.name)) ?? []), canonical(e)]);
    return out;
  };
  const x = byName(a);
  const y = byName(b);
  return x.size === y.size && [...x].every(([n, entries]) => entries.length === y.get(n)?.length && entries.at(-1) === y.get(n)!.at(-1)) && [...x.values()].some((entries) => entries.length > 1);
}

/** The pod specs (with their metadata) of an outcome's output. */
function podsOf(outcome: Outcome): Array<{ metadata: Record<string, any>; spec: Record<string, any> }> {
  return documentsOf(outcome).flatMap(pods);
}

function pods(object: unknown): Array<{ metadata: Record<string, any>; spec: Record<string, any> }> {
  if (!isMap(object)) return [];
  if (object.kind === 'List') return (Array.isArray(object.items) ? object.items : []).flatMap(pods);
  const template = object.kind === 'Pod' ? object : object.kind === 'CronJob' ? { metadata: object.spec?.jobTemplate?.metadata, spec: object.spec?.jobTemplate?.spec?.template?.spec } : object.spec?.template;
  return isMap(template) && isMap(template.spec) ? [{ metadata: isMap(template.metadata) ? template.metadata : {}, spec: template.spec }] : [];
}

/** A label value the apiserver accepts: at most 63 characters, alphanumeric at both ends. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INT64_MAX = '9223372036854775807';

function mountsOfUndefinedVolumes(spec: Record<string, any>): boolean {
  const volumes = new Set((Array.isArray(spec.volumes) ? spec.volumes : []).map((v: any) => v?.name));
  return containers(spec).some((c) => (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).some((m: any) => !volumes.has(m?.name)));
}

/** The first pod (template) annotations of the input. */
function inputAnnotations(input: Record<string, any>): Record<string, string> {
  return (pods(input)[0]?.metadata.annotations ?? {}) as Record<string, string>;
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
  {
    id: 'mount-of-undefined-volume',
    summary: 'sidecar.istio.io/userVolumeMount names a volume nobody defines: Istio writes a mount the apiserver refuses; we refuse the pod, naming the annotation',
    explains: (_input, istio, ours, verdict) =>
      verdict.kind === 'we-refused' && 'error' in ours && /userVolumeMount': volume\(s\) .* defined neither by the pod nor by sidecar\.istio\.io\/userVolume/.test(ours.error) && specsOf(istio).some(mountsOfUndefinedVolumes),
  },
  {
    id: 'istio-crashes-on-malformed-status',
    summary: 'a sidecar.istio.io/status whose lists are not lists of names makes Istio panic; we treat it as naming nothing',
    explains: (input, istio, _ours, verdict) => {
      if (verdict.kind !== 'istio-crashed' || !('error' in istio) || !/interface conversion/.test(istio.error)) return false;
      try {
        const status = JSON.parse(inputAnnotations(input)['sidecar.istio.io/status'] ?? 'null');
        return isMap(status) && ['initContainers', 'containers', 'volumes', 'imagePullSecrets'].some((k) => status[k] !== undefined && status[k] !== null && !(Array.isArray(status[k]) && status[k].every((n: unknown) => typeof n === 'string')));
      } catch {
        return false;
      }
    },
  },
  {
    id: 'canonical-name-shortened',
    summary: "Istio's gateway and gRPC templates do not shorten the canonical name, writing a label value the apiserver refuses (over 63 characters); we shorten it as the sidecar template does",
    explains: (_input, istio, ours, verdict) =>
      allDifferencesMatch(verdict, /labels\["service\.istio\.io\/canonical-name"\]$/) &&
      podsOf(istio).some((p) => !LABEL_VALUE.test(String(p.metadata.labels?.['service.istio.io/canonical-name'] ?? '')) || String(p.metadata.labels?.['service.istio.io/canonical-name'] ?? '').length > 63) &&
      podsOf(ours).every((p) => LABEL_VALUE.test(String(p.metadata.labels?.['service.istio.io/canonical-name'] ?? '')) && String(p.metadata.labels?.['service.istio.io/canonical-name'] ?? '').length <= 63),
  },
  {
    id: 'quantity-beyond-int64',
    summary: "a resource quantity above 2^63-1: Kubernetes' Go code writes such values unreliably (1e23 as 100, 1e1000 as 10e999); we write the largest int64",
    explains: (_input, _istio, _ours, verdict) =>
      verdict.kind === 'output' && verdict.differences.every((d) => /\.resources\.(limits|requests)\.[a-z-]+$/.test(d.path) && d.ours === INT64_MAX && d.istio !== INT64_MAX),
  },
  {
    id: 'sourceless-volume',
    summary: "with the gateway template before the sidecar template, Istio's sidecar template deletes the emptyDir of two volumes, leaving no source, which the apiserver defaults to emptyDir: {}; we keep emptyDir: {}",
    explains: (_input, _istio, _ours, verdict) =>
      verdict.kind === 'output' && verdict.differences.every((d) => /\.volumes\[name=[^\]]+\]\.emptyDir$/.test(d.path) && d.istio === undefined && isMap(d.ours) && Object.keys(d.ours).length === 0),
  },
  {
    id: 'stale-injected-container',
    summary: 'a re-injection whose templates no longer add a container the earlier injection added (istio-init once CNI is on): Istio keeps the stale container, an app container to it; we remove what the status annotation lists',
    explains: (input, istio, ours, verdict) => {
      let status: unknown;
      try {
        status = JSON.parse(inputAnnotations(input)['sidecar.istio.io/status'] ?? 'null');
      } catch {
        return false;
      }
      if (!isMap(status) || verdict.kind !== 'output') return false;
      const listed = ['initContainers', 'containers'].flatMap((k) => (Array.isArray(status[k]) ? status[k].map(String) : []));
      const names = (o: Outcome) => new Set(specsOf(o).flatMap(containers).map((c) => String(c.name)));
      const inIstio = names(istio);
      const inOurs = names(ours);
      const stale = listed.filter((n) => inIstio.has(n) && !inOurs.has(n));
      if (stale.length === 0) return false;
      // The stale container itself, and the probers and app containers it adds to.
      return verdict.differences.every((d) => stale.some((n) => d.path.includes(`[name=${n}]`) && !d.path.includes(`[name=${n}].`)) || /\[name=(ISTIO_KUBE_APP_PROBERS|ISTIO_META_APP_CONTAINERS|ISTIO_META_POD_PORTS)\]\.value$/.test(d.path) || /\.(initContainers|containers)\(order\)$/.test(d.path));
    },
  },
  {
    id: 'repeated-variable-order',
    summary: "variables of one name repeated in an app container a template lays settings over: Istio's strategic merge groups the repeats and gives each the last one's value; the value the container gets (Kubernetes uses the last) is the same",
    explains: (_input, istio, ours, verdict) => {
      if (verdict.kind !== 'output') return false;
      const lists = new Set<string>();
      for (const d of verdict.differences) {
        const match = /^(.*\.env)(\[[^\]]*\](\.(name|value|valueFrom))?|\(order\))$/.exec(d.path);
        if (match === null) return false;
        lists.add(match[1]!);
      }
      const a = documentsOf(istio);
      const b = documentsOf(ours);
      return [...lists].every((path) => sameRepeats(valueAt(a, path), valueAt(b, path)));
    },
  },
];

/** The id of the deliberate divergence that explains a difference, if one does. */
export function explain(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): string | undefined {
  return DIVERGENCES.find((d) => d.explains(input, istio, ours, verdict))?.id;
}
