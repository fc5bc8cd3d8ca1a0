/**
 * core/v1 defaulting of a Pod (SetDefaults_*), run by the apiserver on decode and again after
 * every webhook patch, so webhooks see defaulted objects and must not fight the defaults.
 */

/** The tag Go's image reference parser finds: `latest` when there is neither tag nor digest. */
export function imageTag(image: string): string {
  const [named = '', digest] = image.split('@');
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > lastSlash ? named.slice(colon + 1) : '';
  if (tag === '' && digest === undefined) return 'latest';
  return tag;
}

function defaultProbe(probe: any): void {
  if (!probe || typeof probe !== 'object') return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
  if (probe.grpc) probe.grpc.service ??= '';
}

function defaultContainer(c: any, hostNetwork: boolean): void {
  if (!c || typeof c !== 'object') return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  for (const p of c.ports ?? []) {
    p.protocol ??= 'TCP';
    if (hostNetwork && p.hostPort === undefined) p.hostPort = p.containerPort;
  }
  c.resources ??= {};
  for (const e of c.env ?? []) if (e?.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop]) if (handler?.httpGet) handler.httpGet.scheme ??= 'HTTP';
}

function defaultVolume(v: any): void {
  if (!v || typeof v !== 'object') return;
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
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
}

/** Returns a defaulted deep copy of `pod`. */
export function defaultPod(pod: any): any {
  const out = JSON.parse(JSON.stringify(pod));
  if (out.spec === undefined || out.spec === null || typeof out.spec !== 'object') return out;
  const spec = out.spec;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  // serviceAccount is the deprecated alias the apiserver keeps in step with serviceAccountName.
  if (spec.serviceAccountName !== undefined && spec.serviceAccount === undefined) spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  return out;
}
