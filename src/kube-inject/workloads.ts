/**
 * Where the pod template sits in each workload kind kube-inject understands.
 */
import type { JsonObject } from '../injection/types.js';

/** Kinds whose pod template is `spec.template`. */
const TEMPLATE_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController', 'DeploymentConfig']);

/** Reads and writes the pod template (metadata + spec) of an object; undefined for other kinds. */
export interface TemplateSlot {
  get(): JsonObject;
  set(pod: JsonObject): void;
}

export function templateSlot(object: JsonObject): TemplateSlot | undefined {
  const kind = object.kind;
  if (kind === 'Pod') {
    return {
      get: () => ({ metadata: object.metadata ?? {}, spec: object.spec ?? {} }),
      set: (pod) => {
        object.metadata = pod.metadata;
        object.spec = pod.spec;
      },
    };
  }
  if (kind === 'CronJob') {
    // istioctl reads and writes the job template's metadata here, not the pod template's.
    const job = object.spec?.jobTemplate;
    if (typeof job?.spec?.template !== 'object' || job.spec.template === null) return undefined;
    return {
      get: () => ({ metadata: job.metadata ?? {}, spec: job.spec.template.spec ?? {} }),
      set: (pod) => {
        job.metadata = pod.metadata;
        job.spec.template = { ...job.spec.template, metadata: job.spec.template.metadata ?? {}, spec: pod.spec };
      },
    };
  }
  const holder = TEMPLATE_KINDS.has(kind) ? object.spec : undefined;
  if (holder === undefined || holder === null || typeof holder.template !== 'object' || holder.template === null) return undefined;
  return {
    get: () => ({ metadata: holder.template.metadata ?? {}, spec: holder.template.spec ?? {} }),
    set: (pod) => {
      holder.template = { ...holder.template, metadata: pod.metadata, spec: pod.spec };
    },
  };
}
