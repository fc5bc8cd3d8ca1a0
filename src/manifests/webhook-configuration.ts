/**
 * The MutatingWebhookConfiguration (admissionregistration.k8s.io/v1) that routes pod creations to
 * the injector. Pure: one plain object out, no I/O, so `register`, `manifests` and the tests share
 * it and the Helm chart's template is checked against it.
 */
import { InjectorError } from '../errors.js';

/** How the apiserver treats a failed call: `Fail` refuses the pod, `Ignore` admits it unchanged. */
export type FailurePolicy = 'Fail' | 'Ignore';

/** Whether the apiserver calls the webhook again when a later webhook changed the pod. */
export type ReinvocationPolicy = 'Never' | 'IfNeeded';

/** Options of {@link buildWebhookConfiguration}; every field but the first two has a default. */
export interface WebhookConfigurationOptions {
  /** metadata.name of the configuration (cluster-scoped). Default `sidecar-injector`. */
  name?: string;
  /** Namespace of the injector's Service; also excluded from injection. Default `istio-system`. */
  namespace?: string;
  /** Name of the injector's Service. Default `sidecar-injector`. */
  serviceName?: string;
  /** Service port the apiserver calls. Default 443. */
  port?: number;
  /** Request path. Default `/inject`. */
  path?: string;
  /** Base64 PEM of the CA that signed the serving certificate; omitted when undefined/empty. */
  caBundle?: string;
  /** Default `Fail`: a pod must never start without the sidecar it was meant to have. */
  failurePolicy?: FailurePolicy;
  /** 1-30 seconds. Default 10 (the apiserver's own default). */
  timeoutSeconds?: number;
  /** Default `IfNeeded` (see {@link DEFAULT_REINVOCATION_POLICY}). */
  reinvocationPolicy?: ReinvocationPolicy;
  /** Fully qualified webhook name. Default `namespace.sidecar-injector.istio.io`. */
  webhookName?: string;
  /** The namespace label that turns injection on. Default `istio-injection=enabled`. */
  namespaceLabel?: { key: string; value: string };
  /** Extra namespaces never injected, besides kube-system and the injector's own. */
  excludedNamespaces?: string[];
  /** metadata.labels and metadata.annotations of the configuration. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * `IfNeeded`, not Istio's `Never`: a mutating webhook that runs after ours (sorted by configuration
 * name) may add containers, ports or probes; with `IfNeeded` the apiserver calls us once more so
 * those are covered too (probe rewriting, port exclusions). It is safe because our injection is
 * idempotent: a second review of our own output yields no patch (tested end to end). It costs one
 * extra call, answered without a patch, whenever something changed the pod after us: a later
 * webhook, or the built-in plugins that the apiserver runs again once a webhook changed the pod
 * (the ServiceAccount plugin mounts the API token into the injected containers, so that is nearly
 * every pod).
 */
export const DEFAULT_REINVOCATION_POLICY: ReinvocationPolicy = 'IfNeeded';

/** The defaults, shared with the chart's values.yaml (a test keeps them equal). */
export const WEBHOOK_DEFAULTS = {
  name: 'sidecar-injector',
  namespace: 'istio-system',
  serviceName: 'sidecar-injector',
  port: 443,
  path: '/inject',
  failurePolicy: 'Fail' as FailurePolicy,
  timeoutSeconds: 10,
  reinvocationPolicy: DEFAULT_REINVOCATION_POLICY,
  webhookName: 'namespace.sidecar-injector.istio.io',
} as const;

/** The label a namespace carries to opt in, and the pod label that opts a pod out. */
export const NAMESPACE_LABEL = { key: 'istio-injection', value: 'enabled' } as const;
export const POD_OPT_OUT_LABEL = { key: 'sidecar.istio.io/inject', value: 'false' } as const;

/**
 * Builds the configuration; never includes an empty caBundle (so a controller can own it).
 * Throws a USAGE error for a value the apiserver would refuse.
 */
export function buildWebhookConfiguration(opts: WebhookConfigurationOptions = {}): Record<string, unknown> {
  const o = { ...WEBHOOK_DEFAULTS, ...definedOnly(opts) };
  if (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds < 1 || o.timeoutSeconds > 30) {
    throw new InjectorError('USAGE', `invalid timeoutSeconds '${o.timeoutSeconds}': expected an integer from 1 to 30`);
  }
  if (o.failurePolicy !== 'Fail' && o.failurePolicy !== 'Ignore') throw new InjectorError('USAGE', `invalid failurePolicy '${String(o.failurePolicy)}': expected Fail or Ignore`);
  if (o.reinvocationPolicy !== 'Never' && o.reinvocationPolicy !== 'IfNeeded') {
    throw new InjectorError('USAGE', `invalid reinvocationPolicy '${String(o.reinvocationPolicy)}': expected Never or IfNeeded`);
  }
  const namespaceLabel = opts.namespaceLabel ?? NAMESPACE_LABEL;
  const excluded = [...new Set(['kube-system', o.namespace, ...(opts.excludedNamespaces ?? [])])];
  const service: Record<string, unknown> = { name: o.serviceName, namespace: o.namespace, path: o.path, port: o.port };
  const clientConfig: Record<string, unknown> = { service };
  if (opts.caBundle !== undefined && opts.caBundle !== '') clientConfig.caBundle = opts.caBundle;
  const metadata: Record<string, unknown> = { name: o.name };
  if (opts.labels !== undefined && Object.keys(opts.labels).length > 0) metadata.labels = { ...opts.labels };
  if (opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) metadata.annotations = { ...opts.annotations };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata,
    webhooks: [
      {
        name: o.webhookName,
        clientConfig,
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        namespaceSelector: {
          matchLabels: { [namespaceLabel.key]: namespaceLabel.value },
          // Every namespace carries kubernetes.io/metadata.name, so this cannot be spoofed by labels.
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }],
        },
        objectSelector: { matchExpressions: [{ key: POD_OPT_OUT_LABEL.key, operator: 'NotIn', values: [POD_OPT_OUT_LABEL.value] }] },
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        matchPolicy: 'Equivalent',
        failurePolicy: o.failurePolicy,
        timeoutSeconds: o.timeoutSeconds,
        reinvocationPolicy: o.reinvocationPolicy,
      },
    ],
  };
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
