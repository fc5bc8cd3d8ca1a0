/**
 * Shapes objects the way Kubernetes' Go types serialise them, as `istioctl kube-inject` output
 * does: empty structs written as `{}` (`resources`, `strategy`, `status`), zero-valued optional
 * fields and `creationTimestamp: null` left out, quantities canonical.
 */
import { canonicalQuantity, isValidQuantity } from '../injection/quantity.js';
import type { JsonObject } from '../injection/types.js';
import { setOwn } from '../patch/equal.js';

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeResources(resources: unknown): JsonObject {
  if (!isMap(resources)) return {};
  const out: JsonObject = {};
  for (const [section, quantities] of Object.entries(resources)) {
    if (!isMap(quantities)) continue;
    const entries = Object.entries(quantities).filter(([, q]) => q !== null && q !== undefined);
    if (entries.length === 0) continue;
    setOwn(out, section, Object.fromEntries(entries.map(([name, q]) => [name, isValidQuantity(q as string) ? canonicalQuantity(q as string) : q])));
  }
  return out;
}

function shapeContainers(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((c) => (isMap(c) ? { ...c, resources: shapeResources(c.resources) } : c));
}

function shapeMetadata(meta: unknown): JsonObject {
  if (!isMap(meta)) return {};
  const out: JsonObject = { ...meta };
  if (out.creationTimestamp === null) delete out.creationTimestamp;
  return out;
}

/** Pod template or pod: metadata and spec as Go writes them. */
export function shapePodTemplate(template: JsonObject): JsonObject {
  const spec: JsonObject = { ...(template.spec ?? {}) };
  spec.containers = shapeContainers(spec.containers ?? []);
  if (spec.initContainers !== undefined) spec.initContainers = shapeContainers(spec.initContainers);
  return { ...template, metadata: shapeMetadata(template.metadata), spec };
}

/** Workload-level empty structs and status that Go writes for each kind. */
export function shapeWorkload(object: JsonObject): JsonObject {
  const out: JsonObject = { ...object, metadata: shapeMetadata(object.metadata) };
  const spec: JsonObject = isMap(out.spec) ? { ...out.spec } : {};
  switch (object.kind) {
    case 'Deployment':
      spec.strategy ??= {};
      out.status ??= {};
      break;
    case 'DaemonSet':
      spec.updateStrategy ??= {};
      out.status ??= { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
      break;
    case 'StatefulSet':
      spec.updateStrategy ??= {};
      out.status ??= { replicas: 0, availableReplicas: 0 };
      break;
    case 'ReplicaSet':
    case 'ReplicationController':
      out.status ??= { replicas: 0 };
      break;
    case 'Job':
    case 'CronJob':
    case 'Pod':
      out.status ??= {};
      break;
    case 'DeploymentConfig':
      spec.strategy = { ...spec.strategy, resources: spec.strategy?.resources ?? {} };
      spec.test ??= false;
      if (spec.minReadySeconds === 0) delete spec.minReadySeconds;
      if (spec.paused === false) delete spec.paused;
      out.status ??= { availableReplicas: 0, latestVersion: 0, observedGeneration: 0, replicas: 0, unavailableReplicas: 0, updatedReplicas: 0 };
      break;
  }
  if (object.kind === 'List') out.metadata = isMap(object.metadata) ? object.metadata : {};
  if (object.kind === 'CronJob' && isMap(spec.jobTemplate)) {
    spec.jobTemplate = { ...spec.jobTemplate, metadata: shapeMetadata(spec.jobTemplate.metadata) };
  }
  out.spec = spec;
  return out;
}
