/**
 * core/v1 defaulting of a Pod (SetDefaults_*), run by the apiserver on decode and again after
 * every webhook patch, so webhooks see defaulted objects and must not fight the defaults.
 */
import { resourceListQuantity } from './quantity.js';

/** The tag Go's image reference parser finds: `latest` when there is neither tag nor digest. */
export function imageTag(image: string): string {
  const [named = '', digest] = image.split('@');
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > lastSlash ? named.slice(colon + 1) : '';
  if (tag === '' && digest === undefined) return 'latest';
  return tag;
}

function defaultHttpGet(action: any): void {
  if (!action || typeof action !== 'object') return;
  action.path ??= '/';
  action.scheme ??= 'HTTP';
}

function defaultProbe(probe: any): void {
  if (!probe || typeof probe !== 'object') return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  defaultHttpGet(probe.httpGet);
  if (probe.grpc) probe.grpc.service ??= '';
}

/** SetDefaults_ResourceList: every quantity rounded up to milli units (then written canonical). */
function roundResourceList(list: any): void {
  if (!list || typeof list !== 'object') return;
  for (const [name, value] of Object.entries(list)) list[name] = resourceListQuantity(value as string);
}

function defaultContainer(c: any): void {
  if (!c || typeof c !== 'object') return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  c.resources ??= {};
  roundResourceList(c.resources.limits);
  roundResourceList(c.resources.requests);
  for (const e of c.env ?? []) {
    if (e?.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    if (e?.valueFrom?.fileKeyRef) e.valueFrom.fileKeyRef.optional ??= false;
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop]) defaultHttpGet(handler?.httpGet);
}

/** SetDefaults_Pod: requests default to limits for app and init containers (not ephemeral ones). */
function requestsFromLimits(c: any): void {
  const limits = c?.resources?.limits;
  if (!limits || typeof limits !== 'object') return;
  c.resources.requests = { ...limits, ...c.resources.requests };
}

function defaultVolume(v: any): void {
  if (!v || typeof v !== 'object') return;
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  if (v.image && v.image.pullPolicy === undefined) v.image.pullPolicy = imageTag(String(v.image.reference ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  for (const kind of ['configMap', 'secret', 'downwardAPI']) if (v[kind] && v[kind].defaultMode === undefined) v[kind].defaultMode = 420;
  if (v.projected && v.projected.defaultMode === undefined) v.projected.defaultMode = 420;
  for (const item of v.downwardAPI?.items ?? []) if (item?.fieldRef) item.fieldRef.apiVersion ??= 'v1';
  for (const source of v.projected?.sources ?? []) {
    for (const item of source?.downwardAPI?.items ?? []) if (item?.fieldRef) item.fieldRef.apiVersion ??= 'v1';
    if (source?.serviceAccountToken) source.serviceAccountToken.expirationSeconds ??= 3600;
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.iscsi) v.iscsi.iscsiInterface ??= 'default';
  if (v.rbd) Object.assign(v.rbd, { pool: v.rbd.pool ?? 'rbd', user: v.rbd.user ?? 'admin', keyring: v.rbd.keyring ?? '/etc/ceph/keyring' });
  if (v.azureDisk) Object.assign(v.azureDisk, { cachingMode: v.azureDisk.cachingMode ?? 'ReadWrite', fsType: v.azureDisk.fsType ?? 'ext4', readOnly: v.azureDisk.readOnly ?? false, kind: v.azureDisk.kind ?? 'Shared' });
  if (v.scaleIO) Object.assign(v.scaleIO, { storageMode: v.scaleIO.storageMode ?? 'ThinProvisioned', fsType: v.scaleIO.fsType ?? 'xfs' });
  const claim = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claim && typeof claim === 'object') {
    claim.volumeMode ??= 'Filesystem';
    roundResourceList(claim.resources?.limits);
    roundResourceList(claim.resources?.requests);
  }
}

/** Returns a defaulted deep copy of `pod` (SetObjectDefaults_Pod: Pod, then PodSpec, then each part). */
export function defaultPod(pod: any): any {
  const out = JSON.parse(JSON.stringify(pod));
  if (out.spec === undefined || out.spec === null || typeof out.spec !== 'object') return out;
  const spec = out.spec;
  // SetDefaults_Pod
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) requestsFromLimits(c);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork === true) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c?.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  // SetDefaults_PodSpec: serviceAccount is the deprecated alias of serviceAccountName.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.restartPolicy ??= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) defaultContainer(c);
  roundResourceList(spec.overhead);
  roundResourceList(spec.resources?.limits);
  roundResourceList(spec.resources?.requests);
  return out;
}
