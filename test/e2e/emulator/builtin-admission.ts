/**
 * The in-tree mutating admission plugins that run before the webhooks on a pod CREATE, and again
 * on the reinvocation round: ServiceAccount (default account, the projected token volume mounted
 * in every container that has nothing at the token path), DefaultTolerationSeconds and Priority.
 */
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

function tokenVolume(name: string): any {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  };
}

/** A ServiceAccount as the plugin reads it. */
export interface ServiceAccount {
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name: string }>;
}

/** The pod names a service account its namespace does not have: the plugin refuses it (403). */
export class MissingServiceAccountError extends Error {}

/**
 * ServiceAccount admission (mutates `pod` in place): the default account, refusal of an account
 * that does not exist, the token volume unless the pod or its account opts out, and the account's
 * image pull secrets when the pod has none.
 */
export function serviceAccountAdmission(pod: any, namespace: string, lookup: (name: string) => ServiceAccount | undefined): void {
  const spec = pod.spec;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const account = lookup(spec.serviceAccountName);
  if (account === undefined) throw new MissingServiceAccountError(`error looking up service account ${namespace}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
  if (!(spec.imagePullSecrets?.length > 0) && (account.imagePullSecrets?.length ?? 0) > 0) spec.imagePullSecrets = account.imagePullSecrets!.map((s) => ({ name: s.name }));
  // The pod's own setting wins; without one, the account's.
  if ((spec.automountServiceAccountToken ?? account.automountServiceAccountToken) === false) return;
  const existing = (spec.volumes ?? []).find((v: any) => typeof v?.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName: string = existing?.name ?? `${TOKEN_VOLUME_PREFIX}${randomSuffix()}`;
  let needsVolume = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m: any) => m?.mountPath === TOKEN_PATH)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: volumeName, readOnly: true, mountPath: TOKEN_PATH }];
    needsVolume = true;
  }
  if (existing === undefined && needsVolume) spec.volumes = [...(spec.volumes ?? []), tokenVolume(volumeName)];
}

/** DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for 300 s unless told otherwise. */
export function defaultTolerationSeconds(pod: any): void {
  const spec = pod.spec;
  const tolerations: any[] = spec.tolerations ?? [];
  const has = (key: string) => tolerations.some((t) => (t?.key === key || (t?.key ?? '') === '') && (t?.effect === 'NoExecute' || (t?.effect ?? '') === ''));
  const added: any[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!has(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
}

/** Priority admission without priority classes: priority 0, preempting lower priorities. */
export function priorityAdmission(pod: any): void {
  const spec = pod.spec;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
}

/** Runs the in-tree mutating plugins in the apiserver's order (mutates `pod` in place). */
export function builtinAdmission(pod: any, namespace: string, lookup: (name: string) => ServiceAccount | undefined): void {
  if (pod?.spec === undefined || pod.spec === null) return;
  serviceAccountAdmission(pod, namespace, lookup);
  defaultTolerationSeconds(pod);
  priorityAdmission(pod);
}
