/**
 * The emulator (test/e2e/emulator) set up like the real control plane in a cluster test, so the
 * two can be asked the same question and their answers compared: the same webhook
 * configurations, namespaces with the same labels, the same users, and a webhook of the same name
 * answering the same way at the same Service port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCa, generateServingCert } from '../../../src/certs/generate.js';
import { FakeApiServer, type CreateOptions } from '../../e2e/emulator/apiserver.js';
import { startFakeWebhook } from '../../e2e/emulator/harness.js';
import { x509User, type UserInfo } from '../../e2e/emulator/users.js';
import type { Answer, RecordedCall } from './test-webhook.js';

/** The admin user of the local control plane, as its apiserver authenticates it. */
export function adminUser(clusterDir: string): UserInfo {
  return x509User(readFileSync(join(clusterDir, 'pki', 'admin.crt'), 'utf8'));
}

/** What `kubectl create -f -` sends along with the object. */
export const KUBECTL_CREATE: CreateOptions = { fieldManager: 'kubectl-create', fieldValidation: 'Strict' };

export interface TwinWebhook {
  /** Where it listens (the emulator reaches it through its Service name). */
  port: number;
  /** Every request received, as RecordedCall (the same shape the real side records). */
  calls: RecordedCall[];
  /** The caBundle to put in the emulator's copy of the configuration. */
  caBundle: string;
  close(): Promise<void>;
}

/**
 * Starts, for the emulator, a webhook that stands for a real test webhook: a certificate for the
 * same `<service>.<namespace>.svc` and the same handler. The configuration copied from the real
 * one keeps the Service port, so URLs and Host headers match.
 */
export async function startTwinWebhook(api: FakeApiServer, service: string, namespace: string, handler: (review: any) => Answer): Promise<TwinWebhook> {
  const ca = await generateCa();
  const leaf = await generateServingCert(ca, { sans: [`${service}.${namespace}.svc`] });
  const calls: RecordedCall[] = [];
  const server = await startFakeWebhook(leaf, (review, wire) => {
    const rawHeaders: Array<[string, string]> = [];
    for (let i = 0; i < wire.rawHeaders.length; i += 2) rawHeaders.push([wire.rawHeaders[i]!, wire.rawHeaders[i + 1]!]);
    calls.push({ method: wire.method, url: wire.url, rawHeaders, body: wire.rawBody, review, alpn: wire.alpn, tlsVersion: wire.tlsVersion });
    const answer = handler(review);
    return { status: answer.status ?? 200, body: answer.body, ...(answer.delayMs ? { delayMs: answer.delayMs } : {}) };
  });
  // The configuration names the Service port; the emulator's "cluster DNS" sends it here.
  api.registerService(service, namespace, server.port);
  return { port: server.port, calls, caBundle: Buffer.from(ca.cert).toString('base64'), close: server.close };
}

/**
 * A copy of a configuration for the emulator: the same, with each webhook's caBundle replaced
 * (the emulator's twin webhooks have their own CA).
 */
export function twinConfiguration(configuration: Record<string, any>, caBundle: string): Record<string, any> {
  const copy = structuredClone(configuration);
  for (const webhook of copy.webhooks) webhook.clientConfig = { ...webhook.clientConfig, caBundle };
  return copy;
}
