/** Namespace labels: reading them, and turning injection on or off. */
import { PatchStrategy, setHeaderOptions, type KubeClients } from './client.js';

export const INJECTION_LABEL = 'istio-injection';

export async function namespaceLabels(clients: KubeClients, name: string): Promise<Record<string, string>> {
  const ns = await clients.core.readNamespace({ name });
  return { ...(ns.metadata?.labels ?? {}) };
}

/** Sets `istio-injection=enabled`, or removes the label. */
export async function setInjectionLabel(clients: KubeClients, name: string, enabled: boolean): Promise<void> {
  const body = { metadata: { labels: { [INJECTION_LABEL]: enabled ? 'enabled' : null } } };
  await clients.core.patchNamespace({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}
