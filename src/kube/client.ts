/**
 * The only module that imports @kubernetes/client-node: kubeconfig loading and API clients.
 */
import { AdmissionregistrationV1Api, ApiException, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export { PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
export type { KubeConfig };

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
  coordination: CoordinationV1Api;
}

/** From a kubeconfig file, else $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function connect(kubeconfig?: string): KubeClients {
  const kc = new KubeConfig();
  if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return clientsFor(kc);
}

export function clientsFor(kc: KubeConfig): KubeClients {
  return { kc, core: kc.makeApiClient(CoreV1Api), admission: kc.makeApiClient(AdmissionregistrationV1Api), coordination: kc.makeApiClient(CoordinationV1Api) };
}

/** The HTTP status of a client-node error (404, 409...), or undefined. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A user-facing message for a client-node error. */
export function describeKubeError(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      if (typeof body?.message === 'string') return `${err.code}: ${body.message}`;
    } catch {
      // not a Status body
    }
    return `HTTP ${err.code}`;
  }
  return (err as Error)?.message ?? String(err);
}
