/**
 * The kube-apiserver's mutating-admission path for pod creation, reproduced for tests: ordered
 * webhook configurations, selectors, the call, the patch, reinvocation, defaulting and validation.
 */
import { callWebhook, newUid, type Outcome, type SentRequest } from './call.js';
import { applyJsonPatchV4, PatchError } from './json-patch-v4.js';
import { defaultPod, validatePod } from './pod-validation.js';
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
  round: number;
  sent: SentRequest;
  outcome: Outcome;
}

export interface CreateResult {
  pod: any;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  calls: CallRecord[];
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
    this.configurations.set(config.metadata.name, { ...config, webhooks: config.webhooks.map(defaultWebhook) });
  }

  createNamespace(name: string, labels: Record<string, string> = {}): void {
    this.namespaces.set(name, { ...labels, 'kubernetes.io/metadata.name': name });
  }

  /** Where a Service's endpoints listen (the emulator's cluster DNS). */
  registerService(name: string, namespace: string, port: number): void {
    this.services.set(`${name}.${namespace}`, port);
  }

  /** Creates a pod through the admission chain. */
  async createPod(namespace: string, input: any, options: { dryRun?: boolean } = {}): Promise<CreateResult> {
    const nsLabels = this.namespaces.get(namespace);
    if (nsLabels === undefined) throw new ApiError(404, `namespaces "${namespace}" not found`);
    let pod = defaultPod({ apiVersion: 'v1', kind: 'Pod', ...input, metadata: { ...input.metadata, namespace }, status: {} });
    const webhooks = [...this.configurations.values()]
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .flatMap((config) => config.webhooks);
    const warnings: string[] = [];
    const auditAnnotations: Record<string, string> = {};
    const calls: CallRecord[] = [];
    const afterCall = new Map<string, string>();

    const invoke = async (webhook: any, round: number) => {
      if (!matchesSelector(webhook.namespaceSelector, nsLabels)) return;
      if (!matchesSelector(webhook.objectSelector, pod.metadata?.labels ?? {})) return;
      if (!rulesMatchPodCreate(webhook.rules)) return;
      const review = this.review(webhook, pod, namespace, options.dryRun === true);
      const service = webhook.clientConfig.service;
      const port = this.services.get(`${service.name}.${service.namespace}`) ?? 1;
      const { outcome, sent } = await callWebhook(
        { port, serviceName: service.name, serviceNamespace: service.namespace, path: service.path ?? '/', caBundle: webhook.clientConfig.caBundle ?? '', timeoutSeconds: webhook.timeoutSeconds, webhookName: webhook.name },
        review,
      );
      calls.push({ webhook: webhook.name, round, sent, outcome });
      if (outcome.kind === 'failed') {
        if (webhook.failurePolicy === 'Ignore') return;
        throw new ApiError(500, `Internal error occurred: failed calling webhook "${webhook.name}": ${outcome.message}`);
      }
      warnings.push(...outcome.warnings);
      if (outcome.kind === 'denied') throw new ApiError(outcome.code, outcome.message);
      Object.assign(auditAnnotations, outcome.auditAnnotations);
      if (outcome.kind === 'patched') {
        try {
          pod = defaultPod(applyJsonPatchV4(pod, outcome.ops));
        } catch (err) {
          if (err instanceof PatchError) throw new ApiError(500, `Internal error occurred: ${err.message}`);
          throw err;
        }
      }
      afterCall.set(webhook.name, JSON.stringify(pod));
    };

    for (const webhook of webhooks) await invoke(webhook, 0);
    // Reinvocation: one more round for IfNeeded webhooks whose output was changed afterwards.
    const final = JSON.stringify(pod);
    for (const webhook of webhooks) {
      const seen = afterCall.get(webhook.name);
      if (webhook.reinvocationPolicy === 'IfNeeded' && seen !== undefined && seen !== final) await invoke(webhook, 1);
    }
    const problems = validatePod(pod);
    if (problems.length > 0) throw new ApiError(422, `Pod "${pod.metadata?.name ?? pod.metadata?.generateName}" is invalid: ${problems.join('; ')}`);
    return { pod, warnings, auditAnnotations, calls };
  }

  private review(webhook: any, pod: any, namespace: string, dryRun: boolean): any {
    const version = (webhook.admissionReviewVersions as string[]).find((v) => v === 'v1' || v === 'v1beta1')!;
    const gvk = { group: '', version: 'v1', kind: 'Pod' };
    const gvr = { group: '', version: 'v1', resource: 'pods' };
    const request: any = { uid: newUid(), kind: gvk, resource: gvr, requestKind: gvk, requestResource: gvr };
    if (pod.metadata?.name) request.name = pod.metadata.name;
    Object.assign(request, {
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object: pod,
      oldObject: null,
      dryRun,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}) },
    });
    return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request };
  }
}
