/**
 * Everything a template reads, computed once per pod: the configuration layers, the pod's
 * annotations and labels, the effective proxy config, images, proxy identity and mode switches.
 */
import type { InjectorConfig } from '../config/index.js';
import { annotationOr, appContainerNames } from './meta.js';
import { effectiveProxyConfig } from './proxy-config.js';
import type { InjectionRequest, JsonObject, Pod } from './types.js';
import { resolveWorkload, type Workload } from './workload.js';

export interface RenderContext {
  pod: Pod;
  values: Record<string, any>;
  mesh: Record<string, any>;
  proxyConfig: Record<string, any>;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  workload: Workload;
  revision: string;
  appContainers: string[];
  nativeSidecar: boolean;
  interceptionMode: string;
  tproxy: boolean;
  /** TPROXY in the mesh (or pod) proxy config or the annotation: Istio then keeps a user-set proxy user root. */
  tproxyAnywhere: boolean;
  capNetBindService: boolean;
  /** The status port as the templates use it: the annotation, else the values (a string). */
  statusPort: string;
  /**
   * The status port of the mesh config that Istio's post-processing reads: where the Prometheus
   * merge points scrapes, and which probes count as already rewritten.
   */
  meshStatusPort: number;
  /**
   * The port app probes are pointed at, as Istio's rewriting picks it: the status port annotation
   * (read with Go's Atoi, so ' 15021' is 0), else `meshStatusPort` (not the values' status port).
   */
  probePort: number;
  proxyImage: string;
  proxyInitImage: string;
  /**
   * From the securityContext of the pod's own istio-proxy (containers first, then init
   * containers; on a re-injection, the recorded user settings, else the earlier one), else
   * undefined (1337).
   */
  proxyUID: number | undefined;
  proxyGID: number | undefined;
  cniEnabled: boolean;
  clusterId: string | undefined;
  network: string | undefined;
  compliancePolicy: string;
}

function findContainer(pod: Pod, name: string): JsonObject | undefined {
  const all = [...((pod.spec?.containers ?? []) as JsonObject[]), ...((pod.spec?.initContainers ?? []) as JsonObject[])];
  return all.find((c) => c?.name === name);
}

/** `<hub>/<image>:<tag>[-<variant or image type>]`, or the image itself when it names a registry. */
export function imageName(values: Record<string, any>, image: string, annotations: Record<string, string>, configuredType = ''): string {
  if (image.includes('/')) return image;
  const global = values.global;
  let tag = String(global.tag ?? '');
  // The pod's annotation, else (for the proxy) the proxy config's image type, else the values' variant.
  const imageType = annotations['sidecar.istio.io/proxyImageType'] ?? (configuredType || (global.variant ?? ''));
  if (imageType !== '' && imageType !== 'default') tag = `${tag}-${imageType}`;
  return `${global.hub}/${image}:${tag}`;
}

/**
 * `proxySource` is the pod whose own istio-proxy gives the proxy user and group: the pod as it
 * came, or after a re-injection put back the recorded user settings (so that reinvocation
 * changes nothing).
 */
export function buildContext(req: InjectionRequest, cfg: InjectorConfig, pod: Pod, proxySource: Pod = pod): RenderContext {
  const values = cfg.values as Record<string, any>;
  const mesh = cfg.mesh as Record<string, any>;
  // The working copy's maps, not copies (they can hold 256 KB): from here on, rendering changes
  // labels and annotations only on the merged pod, whose maps are never these.
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  const proxyConfig = effectiveProxyConfig(mesh.defaultConfig ?? {}, annotations);
  const interceptionMode = annotationOr(annotations, 'sidecar.istio.io/interceptionMode', proxyConfig.interceptionMode ?? 'REDIRECT');
  const nativeDefault = req.nativeSidecars ?? cfg.nativeSidecars ?? false;
  const nativeAnnotation = annotations['sidecar.istio.io/nativeSidecar'];
  // A pod whose only container is the proxy keeps it a regular container: moved to the init
  // containers, it would leave the pod without containers, which the apiserver refuses.
  const nativeSidecar = (nativeAnnotation === undefined || nativeAnnotation === '' ? String(nativeDefault) : nativeAnnotation) !== 'false' && appContainerNames(pod).length > 0;
  const meshStatusPort = Number((req.podProxyConfigInMesh === true ? proxyConfig : mesh.defaultConfig ?? {}).statusPort ?? 15020);
  const statusAnnotation = annotations['status.sidecar.istio.io/port'];
  const probePort = statusAnnotation === undefined ? meshStatusPort : /^[+-]?\d+$/.test(statusAnnotation) ? Number(statusAnnotation) : 0;
  const userProxy = findContainer(proxySource, 'istio-proxy') ?? findContainer(req.pod, 'istio-proxy');
  const security = userProxy?.securityContext ?? {};
  // Istio's templates use the annotation only when it names a registry (has a '/'); otherwise the
  // image is built from the values' image name, whatever the annotation says.
  const annotatedImage = annotations['sidecar.istio.io/proxyImage'];
  const proxyImageName = annotatedImage?.includes('/') ? annotatedImage : values.global.proxy.image;
  const initImageName = annotatedImage?.includes('/') ? annotatedImage : values.global.proxy_init.image;
  return {
    pod,
    values,
    mesh,
    proxyConfig,
    annotations,
    labels,
    workload: resolveWorkload(req),
    revision: req.revision ?? values.revision ?? '',
    appContainers: appContainerNames(pod),
    nativeSidecar,
    interceptionMode,
    tproxy: interceptionMode === 'TPROXY',
    tproxyAnywhere: proxyConfig.interceptionMode === 'TPROXY' || annotations['sidecar.istio.io/interceptionMode'] === 'TPROXY',
    capNetBindService: annotationOr(annotations, 'sidecar.istio.io/capNetBindService', values.global.proxy.capNetBindService) === 'true',
    statusPort: annotationOr(annotations, 'status.sidecar.istio.io/port', values.global.proxy.statusPort),
    meshStatusPort,
    probePort,
    proxyImage: imageName(values, proxyImageName, annotations, String(proxyConfig.image?.imageType ?? '')),
    proxyInitImage: imageName(values, initImageName, annotations),
    proxyUID: typeof security.runAsUser === 'number' ? security.runAsUser : undefined,
    proxyGID: typeof security.runAsGroup === 'number' ? security.runAsGroup : undefined,
    cniEnabled: values.pilot?.cni?.enabled === true,
    clusterId: req.clusterId,
    network: req.network,
    compliancePolicy: String(values.pilot?.env?.COMPLIANCE_POLICY ?? ''),
  };
}
