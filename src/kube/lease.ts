/**
 * Leader election over a coordination.k8s.io Lease, so that of several replicas only one writes
 * the caBundle. Optimistic concurrency: a replace with a stale resourceVersion fails with 409.
 */
import { statusOf, type KubeClients } from './client.js';

export interface LeaseOptions {
  name: string;
  namespace: string;
  identity: string;
  durationSeconds?: number;
}

/**
 * Lease times are MicroTime: the apiserver parses exactly six fractional digits and refuses the
 * milliseconds `toISOString()` writes.
 */
export function microTime(at: Date | string | number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function plain<T>(value: T): any {
  return JSON.parse(JSON.stringify(value));
}

/** Takes or renews the lease; resolves true while we hold it. */
export async function tryAcquireLease(clients: KubeClients, options: LeaseOptions, now = new Date()): Promise<boolean> {
  const duration = options.durationSeconds ?? 30;
  const spec = { holderIdentity: options.identity, leaseDurationSeconds: duration, renewTime: microTime(now) };
  let current: any;
  try {
    current = plain(await clients.coordination.readNamespacedLease({ name: options.name, namespace: options.namespace }));
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    try {
      await clients.coordination.createNamespacedLease({ namespace: options.namespace, body: { metadata: { name: options.name }, spec: { ...spec, acquireTime: microTime(now) } } as never });
      return true;
    } catch (createErr) {
      if (statusOf(createErr) === 409) return false;
      throw createErr;
    }
  }
  const holder = current.spec?.holderIdentity;
  const renewed = Date.parse(current.spec?.renewTime ?? current.spec?.acquireTime ?? 0);
  const expired = Number.isNaN(renewed) || renewed + (current.spec?.leaseDurationSeconds ?? duration) * 1000 < now.getTime();
  if (holder !== options.identity && !expired) return false;
  const acquireTime = holder === options.identity && current.spec?.acquireTime ? microTime(current.spec.acquireTime) : microTime(now);
  const body = { ...current, spec: { ...current.spec, ...spec, acquireTime } };
  try {
    await clients.coordination.replaceNamespacedLease({ name: options.name, namespace: options.namespace, body });
    return true;
  } catch (err) {
    if (statusOf(err) === 409) return false;
    throw err;
  }
}
