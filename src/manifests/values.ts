/**
 * The installation settings, one object with exactly the shape and defaults of the Helm chart's
 * `charts/sidecar-injector/values.yaml` (a unit test parses that file and compares), so
 * `sidecar-injector manifests` and `helm install` produce the same resources from the same defaults.
 */
import type { FailurePolicy, ReinvocationPolicy } from './webhook-configuration.js';
import { NAMESPACE_LABEL, WEBHOOK_DEFAULTS } from './webhook-configuration.js';

/** Where the serving certificate comes from. */
export type CertificateMode = 'secret' | 'cert-manager' | 'server';

export const CERTIFICATE_MODES: readonly CertificateMode[] = ['secret', 'cert-manager', 'server'];

/** The chart's values. */
export interface InstallValues {
  fullnameOverride: string;
  image: { repository: string; tag: string; pullPolicy: 'Always' | 'IfNotPresent' | 'Never' };
  imagePullSecrets: { name: string }[];
  replicaCount: number;
  podDisruptionBudget: { minAvailable: number };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  nodeSelector: Record<string, string>;
  tolerations: Record<string, unknown>[];
  server: { port: number; monitoringPort: number; logLevel: string; onInternalError: 'allow' | 'deny'; reviewBudgetShare: number; reviewWatchdogBytes: number; shutdownGraceSeconds: number };
  /** externalName: '' selects the chart's pods; a host makes the Service an ExternalName one. */
  service: { port: number; externalName: string };
  webhook: {
    name: string;
    failurePolicy: FailurePolicy;
    timeoutSeconds: number;
    reinvocationPolicy: ReinvocationPolicy;
    namespaceLabel: { key: string; value: string };
    excludedNamespaces: string[];
  };
  certificates: {
    mode: CertificateMode;
    secretName: string;
    caBundle: string;
    /** duration and renewBefore may be removed (null in a values file): cert-manager's defaults apply. */
    certManager: { issuerRef: { name?: string; kind?: string; group?: string }; duration?: string; renewBefore?: string };
  };
  config: { values: Record<string, unknown>; config: Record<string, unknown>; mesh: Record<string, unknown> };
}

/** The defaults; mirrors values.yaml key for key. */
export function defaultValues(): InstallValues {
  return {
    fullnameOverride: '',
    image: { repository: 'ghcr.io/sidecar-injector/sidecar-injector', tag: '0.1.0', pullPolicy: 'IfNotPresent' },
    imagePullSecrets: [],
    replicaCount: 2,
    podDisruptionBudget: { minAvailable: 1 },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    nodeSelector: {},
    tolerations: [],
    server: { port: 9443, monitoringPort: 15014, logLevel: 'info', onInternalError: 'allow', reviewBudgetShare: 0.5, reviewWatchdogBytes: 65536, shutdownGraceSeconds: 20 },
    service: { port: WEBHOOK_DEFAULTS.port, externalName: '' },
    webhook: {
      name: WEBHOOK_DEFAULTS.webhookName,
      failurePolicy: WEBHOOK_DEFAULTS.failurePolicy,
      timeoutSeconds: WEBHOOK_DEFAULTS.timeoutSeconds,
      reinvocationPolicy: WEBHOOK_DEFAULTS.reinvocationPolicy,
      namespaceLabel: { ...NAMESPACE_LABEL },
      excludedNamespaces: [],
    },
    certificates: { mode: 'secret', secretName: '', caBundle: '', certManager: { issuerRef: {}, duration: '2160h', renewBefore: '360h' } },
    config: { values: {}, config: {}, mesh: {} },
  };
}

/** Paths inside the container, fixed by the image and the chart. */
export const PATHS = {
  certsDir: '/etc/sidecar-injector/certs',
  configDir: '/etc/sidecar-injector/config',
  tmpDir: '/tmp',
} as const;

/** Seconds the kubelet waits past the server's own drain before SIGKILL. */
export const TERMINATION_MARGIN_SECONDS = 5;
