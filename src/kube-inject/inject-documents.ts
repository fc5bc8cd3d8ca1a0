/**
 * kube-inject over a stream of YAML documents: each workload's pod template is injected; other
 * kinds pass through untouched.
 */
import { parseGoYamlDocuments, stringifyForGo, toJsonValue } from '../injection/go-yaml.js';
import type { InjectorConfig } from '../config/index.js';
import { InjectorError } from '../errors.js';
import { decide, render, type InjectionRequest, type JsonObject, type Pod } from '../injection/index.js';
import { shownValue } from '../injection/annotations/shown-value.js';
import { proxyConfigReadProblem } from '../injection/proxy-config-check.js';
import { PROXY_CONFIG_ANNOTATION } from '../injection/proxy-config.js';
import { goShape, isGoKind } from '../injection/go-types.js';
import { templateSlot } from './workloads.js';

export interface KubeInjectOptions {
  nativeSidecars?: boolean;
  revision?: string;
}

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * istioctl applies the pod's `proxy.istio.io/config` to the mesh config before it decides whether
 * to inject, so a value it cannot read fails every pod but one on the host network, injected or not.
 */
function checkProxyConfig(pod: Pod): void {
  const value = pod.metadata?.annotations?.[PROXY_CONFIG_ANNOTATION];
  if (typeof value !== 'string' || pod.spec?.hostNetwork === true) return;
  const problem = proxyConfigReadProblem(value);
  if (problem !== undefined) throw new InjectorError('INVALID_ANNOTATION', `invalid value '${shownValue(value)}' for annotation '${PROXY_CONFIG_ANNOTATION}': could not parse proxy config: ${problem}`);
}

/** Kinds whose pod template is a pointer in Go: Istio refuses them without one. */
const TEMPLATE_REQUIRED = new Set(['ReplicationController', 'DeploymentConfig']);

/**
 * Injects one object (recursing into Lists) and returns the object to print: written the way
 * Kubernetes' Go types write it, as istioctl prints it, for the kinds it reads into those types.
 */
export function injectObject(object: JsonObject, cfg: InjectorConfig, options: KubeInjectOptions): JsonObject {
  if (object.kind === 'List') {
    // Items reach Go's types through JSON and then YAML again: numbers and booleans where a
    // string is expected become strings there too (integral floats as integers).
    const items = Array.isArray(object.items) ? object.items.map((item: unknown) => (isMap(item) && isGoKind(item.kind) ? injectObject(goShape(item, true), cfg, options) : item)) : object.items;
    return goShape({ ...object, items });
  }
  const slot = templateSlot(object);
  if (slot === undefined) {
    if (TEMPLATE_REQUIRED.has(String(object.kind))) throw new InjectorError('INVALID_POD', `${String(object.kind)} '${String(object.metadata?.name ?? '')}': spec.template is required value`);
    return goShape(object);
  }
  const copy = structuredClone(object);
  const copySlot = templateSlot(copy)!;
  const template = copySlot.get();
  const namespace = (copy.metadata?.namespace as string | undefined) ?? '';
  const req: InjectionRequest = { pod: template as Pod, namespace, podProxyConfigInMesh: true };
  if (copy.kind !== 'Pod') req.workload = { apiVersion: String(copy.apiVersion ?? ''), kind: String(copy.kind), name: String(copy.metadata?.name ?? '') };
  if (options.nativeSidecars !== undefined) req.nativeSidecars = options.nativeSidecars;
  if (options.revision !== undefined) req.revision = options.revision;
  checkProxyConfig(template as Pod);
  let decision = decide(req, cfg, 'kube-inject');
  // For CronJobs istioctl reads the job template's metadata; an opt-out written on the pod
  // template, where users put it, is honoured as well.
  const podTemplate = copy.kind === 'CronJob' ? copy.spec?.jobTemplate?.spec?.template : undefined;
  if (decision.inject && isMap(podTemplate?.metadata)) {
    const inner = decide({ ...req, pod: { metadata: podTemplate.metadata, spec: template.spec } }, cfg, 'kube-inject');
    if (!inner.inject) decision = inner;
  }
  if (decision.inject) copySlot.set(render(req, cfg));
  return goShape(copy);
}

/**
 * Injects every document of a multi-document YAML text and returns the output YAML. Documents are
 * read as istioctl reads them (go-yaml's YAML 1.1 rules: an unquoted `no` is false, and where a
 * string is expected, the string "false"); documents of kinds it does not handle are written back
 * as they are.
 */
export function injectYaml(text: string, cfg: InjectorConfig, options: KubeInjectOptions = {}): string {
  const out: string[] = [];
  for (const [index, document] of parseGoYamlDocuments(text).entries()) {
    if (document.error !== undefined) throw new InjectorError('USAGE', `document ${index + 1} is not valid YAML: ${document.error}`);
    const value = document.value;
    if (value === null || value === undefined) continue;
    if (!isMap(value)) throw new InjectorError('USAGE', `document ${index + 1} is not a Kubernetes object (a map with kind)`);
    try {
      // istioctl converts the whole document to JSON first (to read its kind).
      toJsonValue(value);
    } catch (err) {
      throw new InjectorError('INVALID_POD', `document ${index + 1}: error converting YAML to JSON: ${(err as Error).message}`);
    }
    if (!isGoKind(value.kind)) {
      out.push(document.source.endsWith('\n') ? document.source : `${document.source}\n`);
      continue;
    }
    out.push(stringifyForGo(injectObject(goShape(value, true), cfg, options), { lineWidth: 0 }));
  }
  return out.join('---\n');
}
