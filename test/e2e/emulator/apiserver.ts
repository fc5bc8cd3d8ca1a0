/**
 * The kube-apiserver's mutating-admission path for pod creation, reproduced for tests: decode and
 * defaulting, the in-tree plugins, webhook configurations sorted by name, selectors and rules,
 * the call, the patch (JSON patch v4, lenient decode, defaulting after each patch), reinvocation
 * as the apiserver decides it, and ValidatePodCreate at the end.
 */
import { randomUUID } from 'node:crypto';
import { callWebhook, newUid, type Outcome, type SentRequest } from './call.js';
import { builtinAdmission, MissingServiceAccountError, type ServiceAccount } from './builtin-admission.js';
import { applyJsonPatchV4, PatchError } from './json-patch-v4.js';
import { decodePod, DecodeError } from './pod-decode.js';
import { defaultPod } from './pod-defaults.js';
import { inGoOrder } from './go-order.js';
import { creationManagedFields, managerName } from './managed-fields.js';
import { formatFieldError, podErrors } from './pod-validation.js';
import { quantityEquals } from './quantity.js';
import { KUBEADM_ADMIN, type UserInfo } from './users.js';
import { WarningRecorder } from './warnings.js';
import { matchesSelector, rulesMatchPodCreate } from './selectors.js';
import { defaultWebhook, validateWebhookConfiguration } from './webhook-configuration.js';

/** What the client of the apiserver receives on failure: the Status code, reason and message. */
export class ApiError extends Error {
  /** The Status reason kubectl prints as `Error from server (<reason>)`; empty when there is none. */
  readonly reason: string;
  /** Warnings recorded before the failure: they reach the client too. */
  readonly warnings: string[];
  constructor(
    readonly code: number,
    message: string,
    options: { reason?: string; warnings?: string[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.reason = options.reason ?? '';
    this.warnings = options.warnings ?? [];
  }
}

export interface CallRecord {
  webhook: string;
  /** 0 for the first pass, 1 for the reinvocation pass. */
  round: number;
  sent: SentRequest;
  outcome: Outcome;
  /** Did this call's patch change the pod (before defaulting, as the apiserver compares)? */
  changed: boolean;
}

export interface CreateResult {
  /** The pod as admission left it (what is stored, before the registry's own fields). */
  pod: any;
  /**
   * The pod as stored (or, for a dry run, as returned): with a name generated from generateName,
   * uid, creationTimestamp, generation 1, a resourceVersion unless dry run, and the status the
   * registry sets (phase Pending, qosClass).
   */
  stored: any;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  calls: CallRecord[];
}

export interface CreateOptions {
  dryRun?: boolean;
  /** The request's fieldManager (kubectl create sends `kubectl-create`). */
  fieldManager?: string;
  /** The request's fieldValidation (kubectl sends `Strict`). */
  fieldValidation?: string;
  /** The client's User-Agent: names the managedFields manager when there is no fieldManager. */
  userAgent?: string;
  userInfo?: UserInfo;
  /** Send `creationTimestamp: null`, as apiservers before 1.34 did (1.34 and later omit it). */
  nullCreationTimestamp?: boolean;
  /** The clock (managedFields time, creationTimestamp). */
  now?: Date;
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The registry's name for a generateName pod: the prefix and five random characters. */
function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

/** QoS class of a pod (ComputePodQOS): from cpu and memory requests and limits. */
export function podQosClass(pod: any): string {
  const shape = (resources: any): string => {
    const requests = resources?.requests ?? {};
    const limits = resources?.limits ?? {};
    if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
    let qos = '';
    for (const name of ['memory', 'cpu']) {
      const one = !quantityEquals(requests[name], limits[name]) ? 'Burstable' : quantityEquals(requests[name], '0') ? 'BestEffort' : 'Guaranteed';
      if (one === 'Burstable') return one;
      if (qos === '') qos = one;
      else if (qos !== one) return 'Burstable';
    }
    return qos;
  };
  if (pod.spec?.resources !== undefined) return shape(pod.spec.resources);
  let qos = '';
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const one = shape(c.resources);
    if (one === 'Burstable') return one;
    if (qos === '') qos = one;
    else if (qos !== one) return 'Burstable';
  }
  return qos || 'BestEffort';
}

/** Key-order-insensitive JSON, standing in for Go's semantic equality of decoded objects. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class FakeApiServer {
  private readonly configurations = new Map<string, any>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  /** `<service>.<namespace>` → local port. */
  private readonly services = new Map<string, number>();
  private resourceVersion = 1000;
  private readonly serviceAccounts = new Map<string, ServiceAccount>();

  /** Stores a configuration after the apiserver's validation; throws ApiError 422 listing problems. */
  applyConfiguration(config: any): void {
    const problems = validateWebhookConfiguration(config);
    if (problems.length > 0) throw new ApiError(422, `MutatingWebhookConfiguration "${config?.metadata?.name}" is invalid: ${problems.join('; ')}`);
    this.configurations.set(config.metadata.name, { ...config, webhooks: (config.webhooks ?? []).map(defaultWebhook) });
  }

  deleteConfiguration(name: string): void {
    this.configurations.delete(name);
  }

  /**
   * Every namespace carries `kubernetes.io/metadata.name`, set by the apiserver, and gets its
   * `default` ServiceAccount (from the controller manager).
   */
  createNamespace(name: string, labels: Record<string, string> = {}): void {
    this.namespaces.set(name, { ...labels, 'kubernetes.io/metadata.name': name });
    this.createServiceAccount(name, 'default');
  }

  /** A ServiceAccount pods may name; the ServiceAccount plugin refuses pods naming one that does not exist. */
  createServiceAccount(namespace: string, name: string, account: ServiceAccount = {}): void {
    this.serviceAccounts.set(`${namespace}/${name}`, account);
  }

  /** Where a Service's endpoints listen (the emulator's cluster DNS). */
  registerService(name: string, namespace: string, port: number): void {
    this.services.set(`${name}.${namespace}`, port);
  }

  /** Creates a pod through the admission chain; throws ApiError as the client would see it. */
  async createPod(namespace: string, input: any, options: CreateOptions = {}): Promise<CreateResult> {
    const nsLabels = this.namespaces.get(namespace);
    if (nsLabels === undefined) throw new ApiError(404, `namespaces "${namespace}" not found`, { reason: 'NotFound' });
    const now = options.now ?? new Date();
    const metadata = { ...input.metadata, namespace, ...(options.nullCreationTimestamp ? { creationTimestamp: null } : {}) };
    let pod: any;
    try {
      pod = defaultPod(decodePod({ ...input, apiVersion: 'v1', kind: 'Pod', metadata }));
    } catch (err) {
      if (err instanceof DecodeError) throw new ApiError(400, `Pod in version "v1" cannot be handled as a Pod: ${err.message}`, { reason: 'BadRequest' });
      throw err;
    }
    const warnings = new WarningRecorder();
    const fail = (code: number, message: string, reason: string) => new ApiError(code, message, { reason, warnings: warnings.list() });
    // The field manager records the request's object before admission changes it.
    pod.metadata.managedFields = creationManagedFields(pod, managerName(options.fieldManager, options.userAgent), now);
    const plugins = () => {
      try {
        builtinAdmission(pod, namespace, (name) => this.serviceAccounts.get(`${namespace}/${name}`));
      } catch (err) {
        if (err instanceof MissingServiceAccountError) throw fail(403, `pods "${pod.metadata.name ?? pod.metadata.generateName ?? ''}" is forbidden: ${err.message}`, 'Forbidden');
        throw err;
      }
    };
    plugins();
    const webhooks = [...this.configurations.values()]
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
      .flatMap((config) => config.webhooks);
    const auditAnnotations: Record<string, string> = {};
    const calls: CallRecord[] = [];
    // The apiserver's reinvocation bookkeeping (webhookReinvokeContext).
    let shouldReinvoke = false;
    let previouslyInvoked = new Set<string>();
    const reinvoke = new Set<string>();
    const requireReinvoking = () => {
      for (const name of previouslyInvoked) reinvoke.add(name);
      previouslyInvoked = new Set();
    };

    const invoke = async (webhook: any, round: number) => {
      if (!matchesSelector(webhook.namespaceSelector, nsLabels)) return;
      if (!matchesSelector(webhook.objectSelector, pod.metadata?.labels ?? {})) return;
      if (!rulesMatchPodCreate(webhook.rules)) return;
      if (round === 1 && !reinvoke.has(webhook.name)) return;
      const review = this.review(webhook, pod, namespace, options);
      const service = webhook.clientConfig.service;
      const port = this.services.get(`${service.name}.${service.namespace}`);
      const target = { port: port ?? 0, servicePort: service.port, serviceName: service.name, serviceNamespace: service.namespace, path: service.path ?? '', caBundle: webhook.clientConfig.caBundle ?? '', timeoutSeconds: webhook.timeoutSeconds, webhookName: webhook.name };
      const { outcome, sent } =
        port === undefined
          ? { outcome: { kind: 'failed', message: `failed to call webhook: Post "https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? ''}?timeout=${webhook.timeoutSeconds}s": service "${service.name}" not found` } as Outcome, sent: { path: '', headers: {}, body: review } }
          : await callWebhook(target, review);
      const record: CallRecord = { webhook: webhook.name, round, sent, outcome, changed: false };
      calls.push(record);
      if (outcome.kind !== 'failed' || outcome.warnings) Object.assign(auditAnnotations, outcome.auditAnnotations);
      for (const w of outcome.warnings ?? []) warnings.add(w);
      if (outcome.kind === 'failed') {
        if (webhook.failurePolicy === 'Ignore') {
          // A webhook that fails open is still a webhook that was invoked.
          if (webhook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(webhook.name);
          return;
        }
        throw fail(500, `Internal error occurred: failed calling webhook "${webhook.name}": ${outcome.message}`, 'InternalError');
      }
      if (outcome.kind === 'denied') throw fail(outcome.code, outcome.message, outcome.reason);
      if (outcome.kind === 'patched') {
        let decoded: any;
        try {
          decoded = decodePod(applyJsonPatchV4(pod, outcome.ops));
        } catch (err) {
          if (err instanceof DecodeError && err.conversion) throw fail(500, err.message, '');
          if (err instanceof PatchError || err instanceof DecodeError) throw fail(500, `Internal error occurred: ${err.message}`, 'InternalError');
          throw err;
        }
        record.changed = canonical(decoded) !== canonical(pod);
        pod = defaultPod(decoded);
      }
      if (record.changed) {
        shouldReinvoke = true;
        requireReinvoking();
      }
      if (webhook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(webhook.name);
    };

    for (const webhook of webhooks) await invoke(webhook, 0);
    if (shouldReinvoke) {
      // The whole chain runs again: in-tree plugins first (their changes re-arm every webhook
      // invoked so far), then only the webhooks marked for reinvocation.
      const lastWebhookOutput = canonical(pod);
      plugins();
      if (canonical(pod) !== lastWebhookOutput) requireReinvoking();
      for (const webhook of webhooks) await invoke(webhook, 1);
    }
    // The registry (BeforeCreate): the name is generated before validation, which names it.
    const name: string = pod.metadata.name ?? generateName(pod.metadata.generateName ?? '');
    const problems = podErrors({ ...pod, metadata: { ...pod.metadata, name } });
    if (problems.length > 0) {
      const list = problems.map(formatFieldError);
      throw fail(422, `Pod "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`, 'Invalid');
    }
    const stored = structuredClone(pod);
    stored.metadata = { ...stored.metadata, name, uid: randomUUID(), ...(options.dryRun ? {} : { resourceVersion: String(++this.resourceVersion) }), generation: 1, creationTimestamp: now.toISOString().slice(0, 19) + 'Z' };
    stored.status = { phase: 'Pending', qosClass: podQosClass(stored) };
    return { pod, stored: inGoOrder(stored), warnings: warnings.list(), auditAnnotations, calls };
  }

  private review(webhook: any, pod: any, namespace: string, options: CreateOptions): any {
    const version = (webhook.admissionReviewVersions as string[]).find((v) => v === 'v1' || v === 'v1beta1')!;
    const gvk = { group: '', version: 'v1', kind: 'Pod' };
    const gvr = { group: '', version: 'v1', resource: 'pods' };
    const dryRun = options.dryRun === true;
    const request: any = { uid: newUid(), kind: gvk, resource: gvr, requestKind: gvk, requestResource: gvr };
    if (pod.metadata?.name) request.name = pod.metadata.name;
    const createOptions: Record<string, unknown> = { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' };
    if (dryRun) createOptions.dryRun = ['All'];
    if (options.fieldManager) createOptions.fieldManager = options.fieldManager;
    if (options.fieldValidation) createOptions.fieldValidation = options.fieldValidation;
    Object.assign(request, {
      namespace,
      operation: 'CREATE',
      userInfo: options.userInfo ?? KUBEADM_ADMIN,
      object: inGoOrder(pod),
      oldObject: null,
      dryRun,
      options: createOptions,
    });
    return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request };
  }
}
