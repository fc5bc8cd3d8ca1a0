/**
 * Creating or updating the MutatingWebhookConfiguration, and keeping its caBundle in sync.
 */
import { jsonEqual } from '../patch/equal.js';
import { statusOf, type KubeClients } from './client.js';

function plain<T>(value: T): any {
  return JSON.parse(JSON.stringify(value));
}

/** Creates the configuration, or replaces it keeping the caBundle it has when the new one has none. */
export async function registerWebhook(clients: KubeClients, desired: Record<string, any>): Promise<'created' | 'updated' | 'unchanged'> {
  const name = desired.metadata.name as string;
  let current: any;
  try {
    current = plain(await clients.admission.readMutatingWebhookConfiguration({ name }));
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    await clients.admission.createMutatingWebhookConfiguration({ body: desired as never });
    return 'created';
  }
  const next = plain(desired);
  next.metadata = { ...current.metadata, ...next.metadata, resourceVersion: current.metadata.resourceVersion };
  for (const webhook of next.webhooks) {
    const before = (current.webhooks ?? []).find((w: any) => w.name === webhook.name);
    if (webhook.clientConfig.caBundle === undefined && before?.clientConfig?.caBundle !== undefined) webhook.clientConfig.caBundle = before.clientConfig.caBundle;
  }
  const same = jsonEqual(stripServerFields(current), stripServerFields(next));
  if (same) return 'unchanged';
  await clients.admission.replaceMutatingWebhookConfiguration({ name, body: next });
  return 'updated';
}

function stripServerFields(config: any): any {
  const { metadata, ...rest } = config;
  return { ...rest, labels: metadata?.labels ?? {}, annotations: metadata?.annotations ?? {} };
}

/**
 * Sets every webhook's caBundle of the named configuration to `bundle` (PEM) when it differs.
 * Returns whether it wrote, and the configuration as stored afterwards; a conflicting concurrent
 * write is left for the next round.
 */
export async function syncCaBundle(clients: KubeClients, name: string, bundle: string): Promise<{ written: boolean; configuration: any }> {
  const encoded = Buffer.from(bundle).toString('base64');
  const current = plain(await clients.admission.readMutatingWebhookConfiguration({ name }));
  let changed = false;
  for (const webhook of current.webhooks ?? []) {
    if (webhook.clientConfig?.caBundle !== encoded) {
      webhook.clientConfig = { ...webhook.clientConfig, caBundle: encoded };
      changed = true;
    }
  }
  if (!changed) return { written: false, configuration: current };
  return { written: true, configuration: plain(await clients.admission.replaceMutatingWebhookConfiguration({ name, body: current })) };
}

/** The configuration, read as it is stored. */
export async function readWebhookConfiguration(clients: KubeClients, name: string): Promise<any> {
  return plain(await clients.admission.readMutatingWebhookConfiguration({ name }));
}
