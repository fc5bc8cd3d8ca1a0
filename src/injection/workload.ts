/**
 * Which workload a pod belongs to: its name, namespace, kind and API version, as Istio derives
 * them for ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER and the canonical-name label.
 */
import type { InjectionRequest } from './types.js';

export interface Workload {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}

/** Job names CronJobs give their jobs: `<cronjob>-<scheduled time in minutes>`. */
const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

/**
 * kube-inject passes the enclosing object. Otherwise the pod's controller owner reference decides,
 * with the controllers' naming conventions: a ReplicaSet named `<deployment>-<pod-template-hash>`
 * belongs to that Deployment, a ReplicationController of a pod labelled `deploymentconfig` to that
 * OpenShift DeploymentConfig, a Job named `<cronjob>-<digits>` to that CronJob. A pod without a
 * controller is its own workload.
 */
export function resolveWorkload(req: InjectionRequest): Workload {
  const meta = req.pod.metadata ?? {};
  // A workload's namespace is its own (kube-inject: the enclosing object's, not its pod template's).
  if (req.workload !== undefined && req.workload.kind !== 'Pod') return { ...req.workload, namespace: req.namespace };
  const namespace = meta.namespace ?? req.namespace;
  const labels = meta.labels ?? {};
  const owner = (meta.ownerReferences ?? []).find((ref) => ref.controller === true);
  if (owner === undefined) return { name: meta.name ?? '', namespace, kind: 'Pod', apiVersion: 'v1' };

  const hash = labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash !== undefined && hash !== '' && owner.name.endsWith(hash)) {
    return { name: owner.name.slice(0, owner.name.length - hash.length).replace(/-$/, ''), namespace, kind: 'Deployment', apiVersion: 'apps/v1' };
  }
  if (owner.kind === 'ReplicationController' && (labels.deploymentconfig ?? '') !== '') {
    return { name: labels.deploymentconfig!, namespace, kind: 'DeploymentConfig', apiVersion: 'v1' };
  }
  const cron = owner.kind === 'Job' ? CRONJOB_JOB_NAME.exec(owner.name) : null;
  if (cron !== null) return { name: cron[1]!, namespace, kind: 'CronJob', apiVersion: 'batch/v1' };
  return { name: owner.name, namespace, kind: owner.kind, apiVersion: owner.apiVersion };
}
