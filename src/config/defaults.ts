/**
 * Istio's built-in defaults: the injector values of the `istio-sidecar-injector` ConfigMap as
 * Istio's chart renders them, and Istio's mesh config defaults. With these, no file is needed.
 */

/** Default image registry and tag of the proxy image (`<hub>/proxyv2:<tag>`). */
export const DEFAULT_HUB = 'docker.io/istio';
export const DEFAULT_TAG = '1.28.1';

/** The `values` of the injector ConfigMap, as far as injection reads them. */
export function defaultValues(): Record<string, any> {
  return {
    global: {
      caAddress: '',
      caName: '',
      hub: DEFAULT_HUB,
      tag: DEFAULT_TAG,
      variant: '',
      imagePullPolicy: '',
      imagePullSecrets: [],
      istioNamespace: 'istio-system',
      logAsJson: false,
      logging: { level: 'default:info' },
      meshID: '',
      mountMtlsCerts: false,
      multiCluster: { clusterName: '' },
      nativeNftables: false,
      network: '',
      pilotCertProvider: 'istiod',
      proxy: {
        autoInject: 'enabled',
        clusterDomain: 'cluster.local',
        componentLogLevel: 'misc:error',
        excludeIPRanges: '',
        excludeInboundPorts: '',
        excludeOutboundPorts: '',
        image: 'proxyv2',
        includeIPRanges: '*',
        includeInboundPorts: '*',
        includeOutboundPorts: '',
        logLevel: 'warning',
        outlierLogPath: '',
        privileged: false,
        readinessFailureThreshold: 4,
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        resources: { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        seccompProfile: {},
        startupProbe: { enabled: true, failureThreshold: 600 },
        statusPort: 15020,
        tracer: 'none',
      },
      proxy_init: { forceApplyIptables: false, image: 'proxyv2' },
      sds: { token: { aud: 'istio-ca' } },
      sts: { servicePort: 0 },
    },
    pilot: { cni: { enabled: false, provider: 'default' }, env: {} },
    revision: '',
    sidecarInjectorWebhook: {
      alwaysInjectSelector: [],
      neverInjectSelector: [],
      defaultTemplates: [],
      enableNamespacesByDefault: false,
      injectedAnnotations: {},
      reinvocationPolicy: 'Never',
      rewriteAppHTTPProbe: true,
      templates: {},
    },
  };
}

/** Istio's default proxy config (mesh `defaultConfig`). */
export function defaultProxyConfig(): Record<string, any> {
  return {
    configPath: './etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    statNameLength: 189,
    statusPort: 15020,
  };
}

/** Istio's default mesh config. */
export function defaultMesh(): Record<string, any> {
  return {
    enableTracing: true,
    accessLogFile: '',
    accessLogEncoding: 'TEXT',
    accessLogFormat: '',
    enableEnvoyAccessLogService: false,
    protocolDetectionTimeout: '0s',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'STRICT',
    ingressClass: 'istio',
    trustDomain: 'cluster.local',
    trustDomainAliases: [],
    enableAutoMtls: true,
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
    localityLbSetting: { enabled: true },
    certificates: [],
    rootNamespace: 'istio-system',
    proxyListenPort: 15001,
    proxyInboundListenPort: 15006,
    connectTimeout: '10s',
    defaultServiceExportTo: ['*'],
    defaultVirtualServiceExportTo: ['*'],
    defaultDestinationRuleExportTo: ['*'],
    dnsRefreshRate: '60s',
    serviceSettings: [],
    enablePrometheusMerge: true,
    defaultProviders: {},
    extensionProviders: [
      { name: 'prometheus', prometheus: {} },
      { name: 'stackdriver', stackdriver: {} },
      { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
    ],
    defaultConfig: defaultProxyConfig(),
  };
}

/** The injector `config`: policy, selectors, injected annotations, templates. */
export function defaultInjectorSettings(): Record<string, any> {
  return {
    policy: 'enabled',
    alwaysInjectSelector: [],
    neverInjectSelector: [],
    injectedAnnotations: {},
    defaultTemplates: ['sidecar'],
    templates: {},
  };
}
