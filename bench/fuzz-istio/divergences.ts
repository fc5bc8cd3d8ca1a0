/**
 * Differences from Istio that are deliberate (docs/FIDELITY.md says why, and a test pins our side).
 * The differential fuzzer counts a difference that one of these explains as explained, not as a
 * finding. Each test is narrow: it recognises the situation, and the differences must all lie
 * where that situation shows.
 */
import { documentsOf as readDocuments, type Difference, type Verdict } from './compare.js';
import type { Outcome } from './injectors.js';

export interface Divergence {
  id: string;
  /** One line; docs/FIDELITY.md has the full reason. */
  summary: string;
  /**
   * For a refusal or a crash, whether this explains it. For two outputs, the differences this
   * explains (none when its situation is not there); several may together explain a case.
   */
  explains(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): boolean | Difference[];
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

/** The differences whose paths match. */
function matching(verdict: Verdict, pattern: RegExp): Difference[] {
  return verdict.kind === 'output' ? verdict.differences.filter((d) => pattern.test(d.path)) : [];
}

function statusOf(input: Record<string, any>): Record<string, unknown> | undefined {
  try {
    const status = JSON.parse(inputAnnotations(input)['sidecar.istio.io/status'] ?? 'null');
    return isMap(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

function listed(status: Record<string, unknown>): string[] {
  return ['initContainers', 'containers'].flatMap((k) => (Array.isArray(status[k]) ? (status[k] as unknown[]).map(String) : []));
}

function validLabel(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

export const DIVERGENCES: Divergence[] = [
  {
    id: 'probes-at-port-0',
    summary: "Istio points app probes at port 0 (status port annotation \"0\", or one Go's Atoi cannot read): the apiserver refuses the pod; we leave the probes as they are",
    explains: (_input, istio, ours, verdict) =>
      specsOf(istio).some(pointsAtPortZero) && !specsOf(ours).some(pointsAtPortZero) ? matching(verdict, /\.(readinessProbe|livenessProbe|startupProbe|lifecycle)(\.|$)|\[name=ISTIO_KUBE_APP_PROBERS\]/) : [],
  },
  {
    id: 'duplicate-container-names',
    summary: 'Istio adds a container under a name the pod already uses (the apiserver refuses the pod); we merge it into the one of that name',
    explains: (input, istio, ours, verdict) => {
      if (podSpecs(input).some(hasDuplicateNames) || !specsOf(istio).some(hasDuplicateNames) || specsOf(ours).length === 0 || specsOf(ours).some(hasDuplicateNames)) return [];
      const duplicated = new Set(specsOf(istio).flatMap((spec) => {
        const names = containers(spec).map((c) => String(c.name));
        return names.filter((n, i) => names.indexOf(n) !== i);
      }));
      // The duplicated containers, the lists they sit in, and what records or counts containers.
      return verdict.kind === 'output'
        ? verdict.differences.filter((d) => [...duplicated].some((n) => d.path.includes(`[name=${n}]`)) || /\.(initContainers|containers)(\(order\))?$/.test(d.path) || /annotations\["(sidecar\.istio\.io\/status|proxy\.istio\.io\/overrides)"\]$/.test(d.path) || /\[name=(ISTIO_KUBE_APP_PROBERS|ISTIO_META_APP_CONTAINERS|ISTIO_META_POD_PORTS)\]/.test(d.path))
        : [];
    },
  },
  {
    id: 'mount-of-undefined-volume',
    summary: 'sidecar.istio.io/userVolumeMount names a volume nobody defines: Istio writes a mount the apiserver refuses; we refuse the pod, naming the annotation',
    explains: (_input, istio, ours, verdict) =>
      verdict.kind === 'we-refused' && 'error' in ours && /userVolumeMount': volume\(s\) .* defined neither by the pod nor by sidecar\.istio\.io\/userVolume/.test(ours.error) && specsOf(istio).some(mountsOfUndefinedVolumes),
  },
  {
    id: 'user-volume-name',
    summary: 'sidecar.istio.io/userVolume names a volume with a name the apiserver refuses (not a DNS-1123 label, such as __proto__): Istio writes it; we refuse the pod, naming the annotation',
    explains: (input, _istio, ours, verdict) => {
      if (verdict.kind !== 'we-refused' || !('error' in ours) || !/userVolume': volume name .* is not a DNS-1123 label/.test(ours.error)) return false;
      let volumes: unknown;
      try {
        volumes = JSON.parse(inputAnnotations(input)['sidecar.istio.io/userVolume'] ?? 'null');
      } catch {
        return false;
      }
      return isMap(volumes) && Object.keys(volumes).some((name) => name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name));
    },
  },
  {
    id: 'annotation-caps',
    summary: 'annotations over 256 KiB in all, inject.istio.io/templates of more than 32 entries, proxy.istio.io/config over 8 KiB or nested over 64 levels: Istio reads them; we refuse the pod (the README says why)',
    explains: (input, _istio, ours, verdict) => {
      if (verdict.kind !== 'we-refused' || !('error' in ours)) return false;
      if (/metadata\.annotations: Too long: must have at most 262144 bytes/.test(ours.error)) return true;
      const annotations = inputAnnotations(input);
      const templates = annotations['inject.istio.io/templates'];
      if (templates !== undefined && templates.split(',').length > 32 && /templates, more than the 32 a pod may select/.test(ours.error)) return true;
      return annotations['proxy.istio.io/config'] !== undefined && /more than the 8192 read as YAML|nested \d+ levels deep/.test(ours.error);
    },
  },
  {
    id: 'istio-crashes-on-malformed-status',
    summary: 'a sidecar.istio.io/status whose lists are not lists of names makes Istio panic; we treat it as naming nothing',
    explains: (input, istio, _ours, verdict) => {
      if (verdict.kind !== 'istio-crashed' || !('error' in istio) || !/interface conversion/.test(istio.error)) return false;
      const status = statusOf(input);
      return status !== undefined && ['initContainers', 'containers', 'volumes', 'imagePullSecrets'].some((k) => status[k] !== undefined && status[k] !== null && !(Array.isArray(status[k]) && (status[k] as unknown[]).every((n) => typeof n === 'string')));
    },
  },
  {
    id: 'canonical-name-shortened',
    summary: "Istio's gateway and gRPC templates do not shorten the canonical name, writing a label value the apiserver refuses (over 63 characters, or ending in '-'); we shorten and trim it as the sidecar template does",
    explains: (_input, istio, ours, verdict) => {
      const name = (p: { metadata: Record<string, any> }) => p.metadata.labels?.['service.istio.io/canonical-name'];
      return podsOf(istio).some((p) => !validLabel(name(p))) && podsOf(ours).every((p) => validLabel(name(p))) ? matching(verdict, /labels\["service\.istio\.io\/canonical-name"\]$/) : [];
    },
  },
  {
    id: 'quantity-beyond-int64',
    summary: "a resource quantity above 2^63-1: Kubernetes' Go code writes such values unreliably (1e23 as 100, 1e1000 as 10e999); we write the largest int64",
    explains: (_input, _istio, _ours, verdict) => matching(verdict, /\.resources\.(limits|requests)\.[a-z-]+$/).filter((d) => d.ours === INT64_MAX && d.istio !== INT64_MAX),
  },
  {
    id: 'sourceless-volume',
    summary: "with the gateway template before the sidecar template, Istio's sidecar template deletes the emptyDir of two volumes, leaving no source, which the apiserver defaults to emptyDir: {}; we keep emptyDir: {}",
    explains: (_input, _istio, _ours, verdict) => matching(verdict, /\.volumes\[name=[^\]]+\]\.emptyDir$/).filter((d) => d.istio === undefined && isMap(d.ours) && Object.keys(d.ours).length === 0),
  },
  {
    id: 'stale-injected-container',
    summary: 'a re-injection whose templates no longer add a container the earlier injection added (istio-init once CNI is on): Istio keeps the stale container, an app container to it; we remove what the status annotation lists',
    explains: (input, istio, ours, verdict) => {
      const status = statusOf(input);
      if (status === undefined) return [];
      const names = (o: Outcome) => new Set(specsOf(o).flatMap(containers).map((c) => String(c.name)));
      const inIstio = names(istio);
      const inOurs = names(ours);
      const stale = listed(status).filter((n) => inIstio.has(n) && !inOurs.has(n));
      if (stale.length === 0 || verdict.kind !== 'output') return [];
      // The stale container itself, and the probers and app containers it adds to.
      return verdict.differences.filter((d) => stale.some((n) => d.path.endsWith(`[name=${n}]`)) || /\[name=(ISTIO_KUBE_APP_PROBERS|ISTIO_META_APP_CONTAINERS|ISTIO_META_POD_PORTS)\]\.value$/.test(d.path) || /\.(initContainers|containers)\(order\)$/.test(d.path));
    },
  },
  {
    id: 'reinjection-keeps-overrides',
    summary: "re-injecting a pod that carries Istio's overrides record: Istio's second pass does not apply the recorded settings to the containers its status lists (a user's args and user go back to the template's), although it recorded them for that; we apply them, so that a second pass (a webhook reinvocation) changes nothing",
    explains: (input, _istio, _ours, verdict) => {
      const status = statusOf(input);
      if (status === undefined) return [];
      let overrides: unknown;
      try {
        overrides = JSON.parse(inputAnnotations(input)['proxy.istio.io/overrides'] ?? 'null');
      } catch {
        return [];
      }
      if (!isMap(overrides)) return [];
      const entries = ['containers', 'initContainers'].flatMap((k) => (Array.isArray(overrides[k]) ? (overrides[k] as any[]).map((c) => String(c?.name)) : []));
      const names = new Set(listed(status));
      if (!entries.some((n) => names.has(n))) return [];
      return matching(verdict, /\[name=istio-(proxy|init|validation)\]|\.(initContainers|containers)\(order\)$/);
    },
  },
  {
    id: 'proxy-init-not-native',
    summary: "Istio's output runs istio-proxy as an ordinary init container, without restartPolicy: Always (the gateway and sidecar templates with native sidecars, and the user's own istio-proxy among the init containers): the pod never gets past its init containers; ours is a native sidecar",
    explains: (_input, istio, ours, verdict) => {
      const proxyIn = (o: Outcome) => specsOf(o).flatMap((s) => (Array.isArray(s.initContainers) ? s.initContainers : [])).filter((c: any) => c?.name === 'istio-proxy');
      const stuck = proxyIn(istio).some((c: any) => c.restartPolicy !== 'Always');
      const native = proxyIn(ours).length > 0 && proxyIn(ours).every((c: any) => c.restartPolicy === 'Always');
      return stuck && native ? matching(verdict, /\[name=istio-proxy\]|\(order\)$|\["sidecar\.istio\.io\/status"\]$/) : [];
    },
  },
  {
    id: 'prometheus-spellings',
    summary: "one Prometheus annotation given under two spellings with different values (prometheus.io/scrape and prometheus.io.scrape): Istio reads whichever Go's map order gives first, at random; we read the first in the pod's order",
    explains: (input, _istio, _ours, verdict) => {
      const seen = new Map<string, Set<string>>();
      for (const [key, value] of Object.entries(inputAnnotations(input))) {
        const name = key.replace(/[^a-zA-Z0-9_]/g, '_');
        if (name.startsWith('prometheus_')) seen.set(name, (seen.get(name) ?? new Set()).add(String(value)));
      }
      return [...seen.values()].some((values) => values.size > 1) ? matching(verdict, /annotations\["prometheus[^"]*"\]$|\[name=ISTIO_PROMETHEUS_ANNOTATIONS\]/) : [];
    },
  },
  {
    id: 'repeated-keys-merged',
    summary: "variables of one name, or ports of one number (TCP and UDP), repeated in an app container a template lays settings over: Istio's strategic merge (keyed on the name, or the number alone) merges the repeats: the variable keeps the value it ends with, but a port loses its protocol; we keep each as it is",
    explains: (_input, istio, ours, verdict) => {
      if (verdict.kind !== 'output') return [];
      const a = documentsOf(istio);
      const b = documentsOf(ours);
      const repeatedNumbers = (list: unknown) => {
        const numbers = Array.isArray(list) ? list.map((p) => (p as any)?.containerPort) : [];
        return new Set(numbers).size !== numbers.length;
      };
      return verdict.differences.filter((d) => {
        const env = /^(.*\.env)(\[[^\]]*\](\.(name|value|valueFrom))?|\(order\))$/.exec(d.path);
        if (env !== null) return sameRepeats(valueAt(a, env[1]!), valueAt(b, env[1]!));
        const ports = /^(.*\.ports)(\[\d+\](\.[A-Za-z]+)?|\(order\))$/.exec(d.path);
        return ports !== null && repeatedNumbers(valueAt(b, ports[1]!));
      });
    },
  },
];

/**
 * The deliberate divergence that explains a refusal or crash, or the ones (joined with +) that
 * together explain every difference of two outputs; undefined when some difference is left.
 */
export function explain(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): string | undefined {
  if (verdict.kind !== 'output') return DIVERGENCES.find((d) => d.explains(input, istio, ours, verdict) === true)?.id;
  const claimed = new Set<Difference>();
  const ids: string[] = [];
  for (const d of DIVERGENCES) {
    const claims = d.explains(input, istio, ours, verdict);
    if (!Array.isArray(claims) || claims.length === 0) continue;
    ids.push(d.id);
    for (const c of claims) claimed.add(c);
  }
  return verdict.differences.every((d) => claimed.has(d)) ? ids.join('+') : undefined;
}
