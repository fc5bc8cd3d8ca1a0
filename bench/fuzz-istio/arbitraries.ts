/**
 * Generators of kube-inject input for differential fuzzing against Istio's own injector: pods (and
 * now and then a workload or a List around one) carrying every annotation and label Istio's
 * injector reads, with valid and invalid values; containers with ports, probes and lifecycle hooks
 * of every kind; existing init containers (some of them the user's own native sidecars); the
 * user's own istio-proxy settings; host networking; system namespaces; earlier injections.
 *
 * Everything is typed as Kubernetes types it (Istio decodes into Go structs, so a field of the
 * wrong type fails there for a reason that has nothing to do with injection). Each choice lists
 * its plainest value first: fast-check shrinks towards it.
 */
import fc from 'fast-check';

/** A value pool: valid values come up three times as often as the rest. */
function pool(valid: string[], invalid: string[] = []): fc.Arbitrary<string> {
  if (invalid.length === 0) return fc.constantFrom(...valid);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}

/** Strings that YAML or JSON would read as something else, or that need escaping. */
export const AWKWARD_STRINGS = ['yes', 'no', 'true', 'null', '~', '0123', '1e3', '0x1F', '12:30', '"quoted"', "it's", 'a: b', '- x', '#x', 'tab\there', 'line\nbreak', '<&>', 'ünï', ' padded ', '', '*', '{}', '[]'];

const portList = pool(['8080', '80,443', '8080, 9090', ' 80 ', '1', '65535', '15020'], ['65536', '0', '-1', '+80', '80,', ',80', 'x', '1e3', '0x50', '080', '*', '', ' ']);
const cidrList = pool(['10.0.0.0/8', '10.0.0.0/8,fd00::/8', '10.0.0.1/8', '0.0.0.0/0', '::/0', '192.168.1.1/32', '::ffff:10.0.0.0/104'], ['*', '', '1.2.3.4', '10.0.0.0/33', '10.0.0.0/8, 10.1.0.0/16', '010.0.0.0/8', '10.0.0.0/08', 'fe80::1%eth0/64', '10.0.0.0/8,', 'bad', '::/129']);
const interfaces = pool(['eth0', 'eth0,eth1', 'net1', 'veth_a.b-c', 'abcdefghijklmno'], ['', 'abcdefghijklmnop', '1eth', 'eth 0', 'eth0,', ' eth0', 'eth/0', '.', '..']);
const uint32 = pool(['0', '1', '10', '4294967295'], ['4294967296', '-1', '+1', ' 1', '', '1.5', 'x', '0x10']);
const goBool = pool(['true', 'false', '1', '0', 't', 'F', 'TRUE', 'True'], ['tRue', 'yes', '', 'x', 'on']);
const quantity = pool(['100m', '2', '0', '1Gi', '128Mi', '1G', '2000m', '1024Mi', '0.5', '1.5', '1e3', '1Ki', '500M', '1E', '0.1m', '.5', '5.'], ['-1', '+1', 'x', '', ' 1', '1 ', '1ki', '1e', 'm', '1\t', '1.2.3', '1KiB', '9223372036854775808', '1e1000']);

/** Every annotation Istio's injector (kube-inject path, templates included) reads, with values. */
export const ANNOTATIONS: Record<string, fc.Arbitrary<string>> = {
  'sidecar.istio.io/inject': pool(['true', 'false', 'y', 'yes', 'on', 'TRUE', 'Yes'], ['', 'no', 'off', 'maybe', 'n']),
  'inject.istio.io/templates': pool(['sidecar', 'gateway', 'grpc-agent', 'grpc-simple', 'sidecar,grpc-agent', 'sidecar,custom', 'sidecar,spire', 'custom', 'spire', 'gateway,sidecar'], ['', 'missing', 'sidecar, gateway', 'sidecar,', ',sidecar', 'waypoint', 'kube-gateway', 'agentgateway']),
  'sidecar.istio.io/interceptionMode': pool(['REDIRECT', 'TPROXY', 'NONE'], ['redirect', '', 'X', ' REDIRECT']),
  'traffic.sidecar.istio.io/includeOutboundIPRanges': fc.oneof({ weight: 1, arbitrary: fc.constant('*') }, { weight: 4, arbitrary: cidrList }),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': cidrList,
  'traffic.sidecar.istio.io/includeInboundPorts': fc.oneof({ weight: 1, arbitrary: fc.constant('*') }, { weight: 4, arbitrary: portList }),
  'traffic.sidecar.istio.io/excludeInboundPorts': portList,
  'traffic.sidecar.istio.io/includeOutboundPorts': pool(['5432', '5432,6379', '*'], ['', 'x', '70000']),
  'traffic.sidecar.istio.io/excludeOutboundPorts': portList,
  'traffic.sidecar.istio.io/excludeInterfaces': interfaces,
  'traffic.sidecar.istio.io/kubevirtInterfaces': interfaces,
  'istio.io/reroute-virtual-interfaces': interfaces,
  'status.sidecar.istio.io/port': pool(['15020', '0', '1', '65535', '8080', ' 15021'], ['65536', 'x', '', '+15020', '-1']),
  'readiness.status.sidecar.istio.io/initialDelaySeconds': uint32,
  'readiness.status.sidecar.istio.io/periodSeconds': uint32,
  'readiness.status.sidecar.istio.io/failureThreshold': uint32,
  'readiness.status.sidecar.istio.io/applicationPorts': pool(['8080', '8080,9090'], ['', 'x']),
  'sidecar.istio.io/proxyCPU': quantity,
  'sidecar.istio.io/proxyMemory': quantity,
  'sidecar.istio.io/proxyCPULimit': quantity,
  'sidecar.istio.io/proxyMemoryLimit': quantity,
  'sidecar.istio.io/proxyImage': pool(['registry.example/proxyv2:1.28.1', 'myproxy', 'proxyv2', 'docker.io/istio/proxyv2:1.28.0-distroless'], ['', 'a b']),
  'sidecar.istio.io/proxyImageType': pool(['distroless', 'debug', 'default'], ['', 'x']),
  'sidecar.istio.io/nativeSidecar': pool(['true', 'false'], ['TRUE', 'True', '1', 'x', '']),
  'sidecar.istio.io/rewriteAppHTTPProbers': goBool,
  'sidecar.istio.io/logLevel': pool(['debug', 'info', 'warning', 'trace', 'error', 'critical', 'off'], ['', 'loud']),
  'sidecar.istio.io/componentLogLevel': pool(['misc:error', 'misc:error,upstream:debug'], ['', 'x']),
  'sidecar.istio.io/agentLogLevel': pool(['default:debug', 'default:info,ads:debug'], ['', 'x']),
  'sidecar.istio.io/bootstrapOverride': pool(['custom-bootstrap'], ['']),
  'sidecar.istio.io/userVolume': pool(['{"extra":{"emptyDir":{}}}', '{"certs":{"secret":{"secretName":"c"}},"extra":{"emptyDir":{"medium":"Memory"}}}', '{}', 'null'], ['{bad', '[]', '', '"x"', '{"extra":[]}', '{"extra":{"emptyDir":{}}} trailing']),
  'sidecar.istio.io/userVolumeMount': pool(['{"extra":{"mountPath":"/extra"}}', '{"extra":{"mountPath":"/extra","readOnly":true},"certs":{"mountPath":"/certs"}}', '{}', 'null'], ['{bad', '[]', '', '{"extra":{"mountPath":1}}']),
  'sidecar.istio.io/capNetBindService': pool(['true', 'false'], ['x', '', 'TRUE']),
  'sidecar.istio.io/status': pool(
    [
      '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}',
      '{"initContainers":null,"containers":null,"volumes":null,"imagePullSecrets":null,"revision":"default"}',
    ],
    ['{}', 'bad', '', '{"containers":"x"}'],
  ),
  'proxy.istio.io/config': pool(
    [
      'holdApplicationUntilProxyStarts: true',
      '{"holdApplicationUntilProxyStarts": false}',
      'concurrency: 2',
      'proxyMetadata: {A: b, ISTIO_META_DNS_CAPTURE: "true"}',
      'statusPort: 15021',
      'drainDuration: 45s',
      'terminationDrainDuration: 10s',
      'tracing: {}',
      'tracing: {sampling: 10}',
      'interceptionMode: TPROXY',
      'interceptionMode: NONE',
      'image: {imageType: distroless}',
      'discoveryAddress: istiod.istio-system.svc:15012',
      'proxyStatsMatcher: {inclusionPrefixes: [cluster_manager]}',
      'proxyHeaders: {forwardedClientCert: SANITIZE}',
      'readinessProbe: {httpGet: {path: /healthz/ready, port: 15021}, periodSeconds: 5}',
      'holdApplicationUntilProxyStarts: true\nproxyMetadata: {X: y}',
      'privateKeyProvider: {cryptomb: {pollDelay: 10ms}}',
      'gatewayTopology: {numTrustedProxies: 2}',
      '',
      'null',
      '{}',
    ],
    ['{bad', '[]', 'nope: 1', 'statusPort: 0', 'statusPort: 70000', 'drainDuration: 1.5s', 'drainDuration: 0s', 'discoveryAddress: bad', 'concurrency: x', 'holdApplicationUntilProxyStarts: maybe', 'configPath: ""', '- a', 'interceptionMode: X'],
  ),
  'proxy.istio.io/overrides': pool(['{"containers":[{"name":"istio-proxy","resources":{},"env":[{"name":"A","value":"b"}]}]}'], ['bad', '{}']),
  'prometheus.io/scrape': pool(['true', 'false'], ['x', '']),
  'prometheus.io/port': pool(['9090', '8080'], ['x', '']),
  'prometheus.io/path': pool(['/metrics', '/stats'], ['']),
  'prometheus.istio.io/scrape-targets': pool(['app', 'app,sidecar'], ['']),
  'prometheus.istio.io/merge-metrics': goBool,
  'prometheus.istio.io/secure-port': pool(['15091'], ['x', '']),
  // Spelled with other separators: Istio matches the Prometheus annotations by sanitized name.
  'prometheus.io.scrape': pool(['false', 'true'], ['x']),
  'resource.opentelemetry.io/service.namespace': pool(['ns1'], ['']),
  'resource.opentelemetry.io/service.version': pool(['v9'], ['']),
  'resource.opentelemetry.io/service.instance.id': pool(['i1'], ['']),
  'kubectl.kubernetes.io/default-container': pool(['app', 'istio-proxy'], ['missing', '']),
  'kubectl.kubernetes.io/default-logs-container': pool(['app', 'istio-proxy'], ['missing', '']),
  'k8s.v1.cni.cncf.io/networks': pool(['net1', 'default/istio-cni', 'net1,net2', '[{"name":"net1"}]', '[{"name":"istio-cni","namespace":"default"}]'], ['', 'x y']),
  'apm.datadoghq.com/env': pool(['{"env":"prod","service":"web"}'], ['x', '']),
};

/** Labels the injector reads (or writes, and then keeps what the pod set). */
export const LABELS: Record<string, fc.Arbitrary<string>> = {
  app: fc.oneof(fc.constantFrom('web', 'api', 'hello'), fc.constantFrom('a'.repeat(70), `${'b'.repeat(60)}---x`, 'trailing-', '_x.', 'ünï')),
  version: fc.constantFrom('v1', 'v2', '1.0', ''),
  'app.kubernetes.io/name': fc.constantFrom('web-app', 'x'.repeat(63), ''),
  'app.kubernetes.io/version': fc.constantFrom('1.2.3', ''),
  'service.istio.io/canonical-name': fc.constantFrom('canon', ''),
  'service.istio.io/canonical-revision': fc.constantFrom('r1', ''),
  'sidecar.istio.io/inject': fc.constantFrom('true', 'false', 'yes', ''),
  'topology.istio.io/network': fc.constantFrom('net-a', ''),
  'security.istio.io/tlsMode': fc.constantFrom('disabled', 'istio'),
  'networking.istio.io/tunnel': fc.constantFrom('http', 'none'),
  'service.istio.io/workload-name': fc.constantFrom('wl'),
  'istio.io/rev': fc.constantFrom('canary', 'default'),
};

/** A few keys of a table, each with a value from its generator. */
function someOf(table: Record<string, fc.Arbitrary<string>>, maxLength: number): fc.Arbitrary<Record<string, string>> {
  return fc
    .uniqueArray(fc.constantFrom(...Object.keys(table)), { maxLength })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, table[k]!]))) as fc.Arbitrary<Record<string, string>>);
}

const portNames = ['http', 'grpc', 'metrics', 'tcp', 'http-web', 'https'];
const portNumber = fc.oneof(fc.constantFrom(8080, 80, 9090, 15020, 15021, 15090, 15000, 53, 3333), fc.integer({ min: 1, max: 65535 }));
const containerPort = fc.record(
  {
    containerPort: portNumber,
    name: fc.constantFrom(...portNames),
    protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
    hostPort: fc.constantFrom(8080, 30080),
  },
  { requiredKeys: ['containerPort'] },
);

/** A probe or hook port: a number, a port name (declared or not), or a number written as a string. */
const actionPort = fc.oneof({ weight: 3, arbitrary: portNumber }, { weight: 2, arbitrary: fc.constantFrom(...portNames, 'undeclared') }, { weight: 1, arbitrary: fc.constantFrom('8080', '0') });

const httpGet = fc.record(
  {
    path: fc.constantFrom('/', '/healthz', '/ready?x=1&y=<2>', 'no-slash', ''),
    port: actionPort,
    host: fc.constantFrom('localhost', '127.0.0.1', 'example.com', '::1'),
    scheme: fc.constantFrom('HTTP', 'HTTPS'),
    httpHeaders: fc.constantFrom([{ name: 'Host', value: 'example.com' }], [{ name: 'X-A', value: '1' }, { name: 'X-B', value: '' }]),
  },
  { requiredKeys: ['port'] },
);
const tcpSocket = fc.record({ port: actionPort, host: fc.constantFrom('localhost', '10.0.0.1') }, { requiredKeys: ['port'] });
const grpc = fc.record({ port: portNumber, service: fc.constantFrom('', 'health', 'a.b.Health') }, { requiredKeys: ['port'] });
const exec = fc.record({ command: fc.constantFrom(['true'], ['sh', '-c', 'curl localhost:8080']) });

const probe = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: httpGet.map((a) => ({ httpGet: a })) },
      { weight: 2, arbitrary: tcpSocket.map((a) => ({ tcpSocket: a })) },
      { weight: 2, arbitrary: grpc.map((a) => ({ grpc: a })) },
      { weight: 1, arbitrary: exec.map((a) => ({ exec: a })) },
    ),
    fc.record(
      {
        initialDelaySeconds: fc.integer({ min: 0, max: 30 }),
        timeoutSeconds: fc.integer({ min: 1, max: 10 }),
        periodSeconds: fc.integer({ min: 1, max: 30 }),
        successThreshold: fc.constant(1),
        failureThreshold: fc.integer({ min: 1, max: 5 }),
        terminationGracePeriodSeconds: fc.integer({ min: 1, max: 30 }),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([action, timing]) => ({ ...action, ...timing }));

const hook = fc.oneof(
  httpGet.map((a) => ({ httpGet: a })),
  tcpSocket.map((a) => ({ tcpSocket: a })),
  exec.map((a) => ({ exec: a })),
  fc.record({ sleep: fc.record({ seconds: fc.integer({ min: 1, max: 10 }) }) }),
);

const envVar = fc.oneof(
  fc.record({ name: fc.constantFrom('MODE', 'POD', 'ISTIO_META_X', 'A'), value: fc.oneof(fc.constantFrom('1', 'x'), fc.constantFrom(...AWKWARD_STRINGS)) }),
  fc.record({ name: fc.constantFrom('POD_NAME', 'NS'), valueFrom: fc.constant({ fieldRef: { fieldPath: 'metadata.name' } }) }),
);

const securityContext = fc.constantFrom<Record<string, unknown>>(
  { runAsUser: 1000 },
  { runAsUser: 1337 },
  { runAsUser: 0, runAsGroup: 0 },
  { runAsNonRoot: true },
  { privileged: true },
  { capabilities: { add: ['NET_ADMIN'] } },
  { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
);

const resources = fc.constantFrom<Record<string, unknown>>(
  { requests: { cpu: '100m', memory: '64Mi' } },
  { limits: { cpu: '2', memory: '1Gi' } },
  { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '1000m' } },
);

/** An application (or init) container; `name` is set by the pod generator. */
const container = fc.record(
  {
    image: fc.constantFrom('nginx:1.27', 'busybox', 'registry.example/app:v1', 'auto'),
    imagePullPolicy: fc.constantFrom('IfNotPresent', 'Always'),
    command: fc.constantFrom(['/bin/app'], ['sh', '-c', 'sleep 1']),
    args: fc.constantFrom(['--port', '8080']),
    ports: fc.uniqueArray(containerPort, { minLength: 1, maxLength: 3, selector: (p) => `${p.containerPort}/${p.protocol ?? 'TCP'}` }),
    env: fc.array(envVar, { minLength: 1, maxLength: 4 }),
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe,
    lifecycle: fc.record({ preStop: hook, postStart: hook }, { requiredKeys: [] }),
    securityContext,
    resources,
    volumeMounts: fc.constantFrom([{ name: 'data', mountPath: '/data' }]),
  },
  { requiredKeys: ['image'] },
);

/** What a container named istio-proxy or istio-init in the pod carries: the user's overrides. */
const proxyOverride = fc.record(
  {
    image: fc.constantFrom('auto', 'registry.example/proxy:custom'),
    args: fc.constantFrom(['proxy', 'sidecar', '--concurrency', '4']),
    env: fc.constantFrom([{ name: 'OVERRIDE', value: 'yes' }], [{ name: 'ISTIO_META_DNS_CAPTURE', value: 'true' }]),
    resources,
    securityContext,
    lifecycle: fc.constant({ preStop: { exec: { command: ['sleep', '5'] } } }),
    readinessProbe: fc.constant({ httpGet: { path: '/custom', port: 15021 } }),
    volumeMounts: fc.constantFrom([{ name: 'data', mountPath: '/data' }]),
  },
  { requiredKeys: [] },
);

const containerName = fc.constantFrom('app', 'web', 'sidecar', 'hello', 'a', 'worker');

const podSpec = fc.record(
  {
    containers: fc.uniqueArray(fc.tuple(containerName, container), { minLength: 1, maxLength: 3, selector: ([n]) => n }),
    initContainers: fc.uniqueArray(
      fc.tuple(fc.constantFrom('init', 'setup', 'migrate'), container, fc.boolean()),
      { maxLength: 2, selector: ([n]) => n },
    ),
    /** The user's own istio-proxy / istio-init container. */
    proxy: fc.option(fc.tuple(fc.constantFrom('istio-proxy', 'istio-proxy', 'istio-init'), proxyOverride, fc.constantFrom('containers', 'initContainers')), { freq: 8 }),
    hostNetwork: fc.boolean(),
    serviceAccountName: fc.constantFrom('default', 'web-sa'),
    securityContext: fc.constantFrom<Record<string, unknown>>({ runAsUser: 1000, fsGroup: 2000 }, { runAsNonRoot: true }, { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }] }),
    imagePullSecrets: fc.constantFrom([{ name: 'regcred' }], [{ name: 'regcred' }, { name: 'barSecret' }]),
    volumes: fc.constant([{ name: 'data', emptyDir: {} }]),
    restartPolicy: fc.constantFrom('Always', 'Never', 'OnFailure'),
    dnsPolicy: fc.constantFrom('ClusterFirst', 'Default'),
    nodeName: fc.constant('node-1'),
    terminationGracePeriodSeconds: fc.constantFrom(30, 0),
  },
  { requiredKeys: ['containers', 'initContainers', 'proxy', 'hostNetwork'] },
);

/** Drops empty lists and maps, as a user's manifest would not have them. */
function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0)));
}

/** Pod metadata and spec (also used as a workload's pod template). */
export const podTemplate = fc
  .record({
    annotations: fc.oneof({ weight: 4, arbitrary: someOf(ANNOTATIONS, 4) }, { weight: 1, arbitrary: someOf(ANNOTATIONS, 12) }),
    labels: someOf(LABELS, 4),
    spec: podSpec,
  })
  .map(({ annotations, labels, spec }) => {
    const { containers, initContainers, proxy, hostNetwork, ...rest } = spec;
    const out: Record<string, any> = {
      ...rest,
      containers: containers.map(([name, c]) => ({ name, ...c })),
      initContainers: initContainers.map(([name, c, native]) => {
        // Init containers take no readiness or liveness probe (the apiserver refuses them), and a
        // startup probe only as native sidecars (restartPolicy: Always).
        const { readinessProbe: _r, livenessProbe: _l, startupProbe, lifecycle: _h, ...init } = c;
        return native ? { name, ...init, restartPolicy: 'Always', ...(startupProbe === undefined ? {} : { startupProbe }) } : { name, ...init };
      }),
    };
    if (proxy !== null) out[proxy[2]].push({ name: proxy[0], ...proxy[1] });
    if (hostNetwork) out.hostNetwork = true;
    return { metadata: compact({ labels, annotations }), spec: compact(out) };
  });

const namespace = fc.constantFrom(undefined, 'demo', 'default', 'kube-system', 'kube-public', 'istio-system', 'local-path-storage');

/** The object handed to kube-inject: mostly Pods, sometimes a workload or a List of them. */
export const manifest = fc
  .record({
    kind: fc.constantFrom('Pod', 'Pod', 'Pod', 'Pod', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController', 'List'),
    name: fc.constantFrom('fuzz', 'web-7d9f8', 'x'.repeat(70)),
    generateName: fc.boolean(),
    namespace,
    template: podTemplate,
  })
  .map(({ kind, name, generateName, namespace: ns, template }) => {
    const meta = (extra: Record<string, unknown> = {}) => compact({ name, namespace: ns, ...extra });
    switch (kind) {
      case 'Pod': {
        const metadata: Record<string, unknown> = { ...template.metadata, ...(generateName ? { generateName: `${name}-` } : { name }) };
        if (ns !== undefined) metadata.namespace = ns;
        return { apiVersion: 'v1', kind, metadata, spec: template.spec };
      }
      case 'CronJob':
        return { apiVersion: 'batch/v1', kind, metadata: meta(), spec: { schedule: '*/5 * * * *', jobTemplate: { metadata: template.metadata, spec: { template: { metadata: template.metadata, spec: { ...template.spec, restartPolicy: 'OnFailure' } } } } } };
      case 'Job':
        return { apiVersion: 'batch/v1', kind, metadata: meta(), spec: { template: { metadata: template.metadata, spec: { ...template.spec, restartPolicy: 'Never' } } } };
      case 'ReplicationController':
        return { apiVersion: 'v1', kind, metadata: meta(), spec: { replicas: 2, selector: { app: 'x' }, template: { metadata: template.metadata, spec: template.spec } } };
      case 'List':
        return {
          apiVersion: 'v1',
          kind,
          items: [
            { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name, ...(ns === undefined ? {} : { namespace: ns }) }, spec: template.spec },
            { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } },
          ],
        };
      default:
        return { apiVersion: 'apps/v1', kind, metadata: meta(), spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: template.metadata, spec: template.spec } } };
    }
  });
