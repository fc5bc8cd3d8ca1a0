/**
 * Shapes shared by the injection engine, the webhook and the CLI. Kubernetes objects are plain
 * JSON (what the apiserver sends), typed loosely: the engine reads the fields it needs and keeps
 * everything else untouched.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: any };

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
  [key: string]: any;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: JsonObject;
  status?: JsonObject;
  [key: string]: any;
}

/** What the engine needs to know about one pod besides the pod itself. */
export interface InjectionRequest {
  /** The pod as received; never mutated. */
  pod: Pod;
  /** The namespace the pod is created in (the review's `request.namespace`). */
  namespace: string;
  /** The workload owning the pod template, when known (kube-inject: the enclosing object). */
  workload?: { apiVersion: string; kind: string; name: string };
  /** `/inject/cluster/X/net/Y` path parameters (ISTIO_META_CLUSTER_ID / ISTIO_META_NETWORK). */
  clusterId?: string;
  network?: string;
  /** Overrides the configuration's native-sidecar setting (kube-inject `--native-sidecars`). */
  nativeSidecars?: boolean;
  /** Overrides the configured revision. */
  revision?: string;
  /**
   * kube-inject: the pod's `proxy.istio.io/config` also changes the mesh config that Istio's
   * post-processing reads (the Prometheus merge port, the port probes already on the agent use),
   * because istioctl applies it to the mesh config before injecting; the webhook reads the mesh
   * config as configured.
   */
  podProxyConfigInMesh?: boolean;
}

/** Why a pod is or is not injected. Every skip has a named reason, logged and counted. */
export type SkipReason =
  | 'host-network'
  | 'system-namespace'
  | 'label-opt-out'
  | 'annotation-opt-out'
  | 'never-inject-selector'
  | 'policy-disabled'
  | 'already-injected';

export type Decision =
  | { inject: true; reason: string }
  | { inject: false; reason: SkipReason; message: string };
