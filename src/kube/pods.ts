/** Reading a pod for `check`. */
import type { KubeClients } from './client.js';

export async function readPod(clients: KubeClients, namespace: string, name: string): Promise<Record<string, any>> {
  return JSON.parse(JSON.stringify(await clients.core.readNamespacedPod({ namespace, name })));
}
