/**
 * The kube-apiserver's mutating-admission path for pod creation, reproduced for tests: decode and
 * defaulting, the in-tree plugins, webhook configurations sorted by name, selectors and rules,
 * the call, the patch (JSON patch v4, lenient decode, defaulting after each patch), reinvocation
 * as the apiserver decides it, and ValidatePodCreate at the end.
 */
import { callWebhook, newUid, type Outcome, type SentRequest } from './call.js';
import { builtinAdmission } from './builtin-admission.js';
import { applyJsonPatchV4, PatchError } from './json-patch-v4.js';
import { decodePod, DecodeError } from './pod-decode.js';
import { defaultPod } from './pod-defaults.js';
import { validatePod } from './pod-validation.js';
import { matchesSelector, rulesMatchPodCreate } from './selectors.js';
import { defaultWebhook, validateWebhookConfiguration } from './webhook-configuration.js';

/** What the client of the apiserver receives on failure. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
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
  pod: any;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  calls: CallRecord[];
}

export interface CreateOptions {
  dryRun?: boolean;
  fieldManager?: string;
  userInfo?: Record<string, unknown>;
  /** Apiservers from 1.34 on omit a null creationTimestamp; older ones send `null`. */
  omitNullCreationTimestamp?: boolean;
}

const DEFAULT_USER = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };

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

  /** Stores a configuration after the apiserver's validation; throws ApiError 422 listing problems. */
  applyConfiguration(config: any): void {
    const problems = validateWebhookConfiguration(config);
    if (problems.length > 0) throw new ApiError(422, `MutatingWebhookConfiguration "${config?.metadata?.name}" is invalid: ${problems.join('; ')}`);
    this.configurations.set(config.metadata.name, { ...config, webhooks: (config.webhooks ?? []).map(defaultWebhook) });
  }

  deleteConfiguration(name: string): void {
    this.configurations.delete(name);
  }

  /** Every namespace carries `kubernetes.io/metadata.name`, set by the apiserver. */
  createNamespace(name: string, labels: Record<string, string> = {}): void {
    this.namespaces.set(name, { ...labels, 'kubernetes.io/metadata.name': name });
  }

  /** Where a Service's endpoints listen (the emulator's cluster DNS). */
  registerService(name: string, namespace: string, port: number): void {
    this.services.set(`${name}.${namespace}`, port);
  }

  /** Creates a pod through the admission chain; throws ApiError as the client would see it. */
  async createPod(namespace: string, input: any, options: CreateOptions = {}): Promise<CreateResult> {
    const nsLabels = this.namespaces.get(namespace);
    if (nsLabels === undefined) throw new ApiError(404, `namespaces "${namespace}" not found`);
    const metadata = { ...input.metadata, namespace, ...(options.omitNullCreationTimestamp ? {} : { creationTimestamp: null }) };
    let pod: any;
    try {
      pod = defaultPod(decodePod({ ...input, apiVersion: 'v1', kind: 'Pod', metadata, status: {} }));
    } catch (err) {
      if (err instanceof DecodeError) throw new ApiError(400, `Pod in version "v1" cannot be handled as a Pod: ${err.message}`);
      throw err;
    }
    builtinAdmission(pod);
    const webhooks = [...this.configurations.values()]
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
      .flatMap((config) => config.webhooks);
    const warnings: string[] = [];
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
          ? { outcome: { kind: 'failed', message: `dial tcp: lookup ${service.name}.${service.namespace}.svc: no such host` } as Outcome, sent: { path: '', headers: {}, body: review } }
          : await callWebhook(target, review);
      const record: CallRecord = { webhook: webhook.name, round, sent, outcome, changed: false };
      calls.push(record);
      if (outcome.kind === 'failed') {
        if (webhook.failurePolicy === 'Ignore') return;
        throw new ApiError(500, `Internal error occurred: failed calling webhook "${webhook.name}": ${outcome.message}`);
      }
      Object.assign(auditAnnotations, outcome.auditAnnotations);
      warnings.push(...outcome.warnings);
      if (outcome.kind === 'denied') throw new ApiError(outcome.code, outcome.message);
      if (outcome.kind === 'invalid-patch') throw new ApiError(500, `Internal error occurred: ${outcome.message}`);
      if (outcome.kind === 'patched') {
        let decoded: any;
        try {
          decoded = decodePod(applyJsonPatchV4(pod, outcome.ops));
        } catch (err) {
          if (err instanceof PatchError || err instanceof DecodeError) throw new ApiError(500, `Internal error occurred: ${err.message}`);
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
      builtinAdmission(pod);
      if (canonical(pod) !== lastWebhookOutput) requireReinvoking();
      for (const webhook of webhooks) await invoke(webhook, 1);
    }
    const problems = validatePod(pod);
    if (problems.length > 0) throw new ApiError(422, `Pod "${pod.metadata?.name ?? pod.metadata?.generateName}" is invalid: ${problems.join('; ')}`);
    return { pod, warnings, auditAnnotations, calls };
  }

  private review(webhook: any, pod: any, namespace: string, options: CreateOptions): any {
    const version = (webhook.admissionReviewVersions as string[]).find((v) => v === 'v1' || v === 'v1beta1')!;
    const gvk = { group: '', version: 'v1', kind: 'Pod' };
    const gvr = { group: '', version: 'v1', resource: 'pods' };
    const dryRun = options.dryRun === true;
    const request: any = { uid: newUid(), kind: gvk, resource: gvr, requestKind: gvk, requestResource: gvr };
    if (pod.metadata?.name) request.name = pod.metadata.name;
    Object.assign(request, {
      namespace,
      operation: 'CREATE',
      userInfo: options.userInfo ?? DEFAULT_USER,
      object: pod,
      oldObject: null,
      dryRun,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}), ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}) },
    });
    return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request };
  }
}
