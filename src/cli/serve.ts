/**
 * `sidecar-injector serve`: load configuration and certificates, listen, keep both current
 * without restarts, expose metrics, and shut down gracefully on SIGTERM/SIGINT (stop accepting,
 * answer in-flight reviews, exit).
 */
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DEV_SANS, ensureDevCertificates } from '../certs/dev.js';
import { FileCertificateSource, type CertificatePair } from '../certs/file-source.js';
import { generateCa, generateServingCert } from '../certs/generate.js';
import { TrustGate } from '../certs/trust-gate.js';
import { defaultConfig, type ConfigFiles } from '../config/index.js';
import { ConfigWatcher } from '../config/watch.js';
import { CaBundleManager, DEFAULT_LEASE_SECONDS } from '../kube/ca-bundle-manager.js';
import { connect } from '../kube/client.js';
import { InjectorError } from '../errors.js';
import { createLogger, LOG_LEVELS } from '../observability/logger.js';
import { createMetrics, startMonitoringServer } from '../observability/metrics.js';
import { DEFAULT_BUDGET_SHARE, DEFAULT_WATCHDOG_BYTES } from '../admission/budget.js';
import { DEFAULT_BODY_LIMIT } from '../server/app.js';
import { startServer } from '../server/listen.js';

const HELP = `usage: sidecar-injector serve [flags]

Serves the admission webhook over HTTPS (POST /inject, GET /healthz, GET /readyz).

flags:
  --host ADDR                  address to listen on (env HOST; default 127.0.0.1)
  --port N                     port to listen on, 0 for any free port (env PORT; default 9443)
  --tls-cert-file FILE         serving certificate (PEM); with --tls-key-file
  --tls-key-file FILE          serving key (PEM)
  --certs-dir DIR              without --tls-cert-file: where development certificates are
                               created when absent (default certs)
  --dev-cert-san NAME          SAN of a generated development certificate (repeatable; default
                               ${DEFAULT_DEV_SANS.join(', ')})
  --values FILE                injector values (JSON; ConfigMap istio-sidecar-injector, key values)
  --inject-config FILE         injector config (YAML; ConfigMap istio-sidecar-injector, key config)
  --mesh-config FILE           mesh config (YAML; ConfigMap istio, key mesh)
  --config-dir DIR             a directory holding files named values, config and mesh
  --max-body-bytes N           largest accepted review (default ${DEFAULT_BODY_LIMIT})
  --on-internal-error MODE     allow (default): a pod whose injection fails because of a fault of
                               ours is admitted without a sidecar, with a warning; deny: refused
  --review-budget-share F      share of the apiserver's timeout (?timeout=, 10s by default) a
                               review may take before it is answered by --on-internal-error
                               (0 < F <= 1; default ${DEFAULT_BUDGET_SHARE})
  --review-watchdog-bytes N    reviews with a body this long or longer run under a watchdog that
                               interrupts them at the budget (default ${DEFAULT_WATCHDOG_BYTES}; 0: every review)
  --shutdown-delay-seconds N   on SIGTERM, keep serving (and report not ready) this long first,
                               while Kubernetes removes the endpoint (default 5)
  --shutdown-grace-seconds N   then how long to wait for in-flight reviews (default 20)
  --monitoring-port N          plain-HTTP port for GET /metrics (default 15014; 0 disables)
  --cert-poll-seconds N        how often certificate files are checked for rotation (default 10)
  --config-poll-seconds N      how often configuration files are checked for changes (default 5)
  --manage-ca-bundle           keep the webhook configuration's caBundle equal to our CA, repair
                               drift; with several replicas only the Lease holder writes. A
                               rotated certificate is served once the caBundle trusts its CA
  --webhook-config-name NAME   the MutatingWebhookConfiguration to manage (default sidecar-injector)
  --ca-file FILE               the CA to publish (default: ca.crt beside the serving certificate)
  --lease-namespace NS         namespace of the Lease (env POD_NAMESPACE; default istio-system)
  --lease-duration-seconds N   how long the Lease holds without renewal (default ${DEFAULT_LEASE_SECONDS}); the
                               holder renews, the others try, and the caBundle is checked every
                               third of it
  --kubeconfig FILE            kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --log-level LEVEL            ${LOG_LEVELS.join(', ')} (default info)
  -h, --help                   show this help
`;

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new InjectorError('USAGE', `invalid value '${raw}' for --${name}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** A share: a decimal number above 0 and at most 1. */
function share(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^(0|1)?(\.[0-9]+)?$/.test(raw) || raw === '' || !(value > 0 && value <= 1)) {
    throw new InjectorError('USAGE', `invalid value '${raw}' for --${name}: expected a number above 0 and at most 1, such as 0.5`);
  }
  return value;
}

function configFiles(values: Record<string, string | string[] | boolean | undefined>): ConfigFiles | undefined {
  const files: ConfigFiles = {};
  const pick = (flag: string) => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const [valuesFile, meshConfigFile, injectConfigFile, dir] = ['values', 'mesh-config', 'inject-config', 'config-dir'].map(pick);
  if (valuesFile !== undefined) files.valuesFile = valuesFile;
  if (meshConfigFile !== undefined) files.meshConfigFile = meshConfigFile;
  if (injectConfigFile !== undefined) files.injectConfigFile = injectConfigFile;
  if (dir !== undefined) files.dir = dir;
  return Object.keys(files).length > 0 ? files : undefined;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-key-file': { type: 'string' },
      'certs-dir': { type: 'string', default: 'certs' },
      'dev-cert-san': { type: 'string', multiple: true },
      values: { type: 'string' },
      'inject-config': { type: 'string' },
      'mesh-config': { type: 'string' },
      'config-dir': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'on-internal-error': { type: 'string', default: 'allow' },
      'review-budget-share': { type: 'string', default: String(DEFAULT_BUDGET_SHARE) },
      'review-watchdog-bytes': { type: 'string', default: String(DEFAULT_WATCHDOG_BYTES) },
      'shutdown-grace-seconds': { type: 'string', default: '20' },
      'shutdown-delay-seconds': { type: 'string', default: '5' },
      'monitoring-port': { type: 'string', default: '15014' },
      'cert-poll-seconds': { type: 'string', default: '10' },
      'config-poll-seconds': { type: 'string', default: '5' },
      'manage-ca-bundle': { type: 'boolean' },
      'webhook-config-name': { type: 'string', default: 'sidecar-injector' },
      'ca-file': { type: 'string' },
      'lease-namespace': { type: 'string' },
      'lease-duration-seconds': { type: 'string', default: String(DEFAULT_LEASE_SECONDS) },
      kubeconfig: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }

  const level = values['log-level']!;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InjectorError('USAGE', `invalid value '${level}' for --log-level: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const onInternalError = values['on-internal-error'];
  if (onInternalError !== 'allow' && onInternalError !== 'deny') {
    throw new InjectorError('USAGE', `invalid value '${onInternalError}' for --on-internal-error: expected allow or deny`);
  }
  const port = integer('port', values.port ?? process.env.PORT ?? '9443', 0, 65535);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const bodyLimit = integer('max-body-bytes', values['max-body-bytes'] ?? String(DEFAULT_BODY_LIMIT), 1024, 1024 * 1024 * 1024);
  const reviewBudgetShare = share('review-budget-share', values['review-budget-share']!);
  const watchdogBytes = integer('review-watchdog-bytes', values['review-watchdog-bytes']!, 0, 1024 * 1024 * 1024);
  const graceSeconds = integer('shutdown-grace-seconds', values['shutdown-grace-seconds']!, 0, 3600);
  const delaySeconds = integer('shutdown-delay-seconds', values['shutdown-delay-seconds']!, 0, 300);
  if ((values['tls-cert-file'] === undefined) !== (values['tls-key-file'] === undefined)) {
    throw new InjectorError('USAGE', '--tls-cert-file and --tls-key-file go together');
  }

  const monitoringPort = integer('monitoring-port', values['monitoring-port']!, 0, 65535);
  const certPollMs = integer('cert-poll-seconds', values['cert-poll-seconds']!, 1, 3600) * 1000;
  const configPollMs = integer('config-poll-seconds', values['config-poll-seconds']!, 1, 3600) * 1000;
  const leaseSeconds = integer('lease-duration-seconds', values['lease-duration-seconds']!, 3, 3600);

  const logger = createLogger({ level: level as (typeof LOG_LEVELS)[number] });
  const metrics = createMetrics();

  let certFile = values['tls-cert-file'];
  let keyFile = values['tls-key-file'];
  if (certFile === undefined || keyFile === undefined) {
    const dev = await ensureDevCertificates(values['certs-dir']!, values['dev-cert-san'] ?? DEFAULT_DEV_SANS);
    logger.info({ caFile: dev.caFile, created: dev.created }, dev.created ? 'created development certificates' : 'using development certificates');
    certFile = dev.certFile;
    keyFile = dev.keyFile;
  }

  const files = configFiles(values);
  const watcher = files === undefined ? undefined : new ConfigWatcher(files, { logger, intervalMs: configPollMs, onReload: (ok) => metrics.observeConfigReload(ok) });
  const initial = watcher === undefined ? defaultConfig() : await watcher.start();
  logger.info({ sources: initial.sources }, 'configuration loaded');
  const getConfig = watcher === undefined ? () => initial : () => watcher.get();

  // Late-bound: the server exists only after the first certificate is known.
  const swap: { to?: (pair: CertificatePair) => void } = {};
  let bundles: CaBundleManager | undefined;
  // Without --manage-ca-bundle the caBundle is someone else's business: every pair is used at once.
  const gate = new TrustGate({ apply: (pair) => swap.to?.(pair), trusted: (cert) => bundles === undefined || bundles.trusts(cert), logger });
  const certs = new FileCertificateSource({
    certFile,
    keyFile,
    logger,
    intervalMs: certPollMs,
    onChange: (pair, rotated) => {
      metrics.observeCertificate(pair.notAfter, rotated);
      gate.offer(pair);
      // A Secret volume swaps the CA file with the certificate: publish a new CA now, not at the next round.
      if (rotated) void bundles?.sync();
    },
  });
  await certs.start();
  // Without a valid certificate yet (a Secret still being issued), serve with a throwaway one and
  // stay not-ready: the apiserver cannot trust it, and the real one is swapped in when it appears.
  const tls = certs.get() ?? (await placeholderCertificate());

  let stopping = false;
  const server = await startServer({
    host,
    port,
    tls,
    getConfig,
    logger,
    bodyLimit,
    onInternalError,
    reviewBudgetShare,
    watchdogBytes,
    onReview: (outcome) => metrics.observeReview(outcome),
    readiness: () => [certs.problem(), stopping ? 'shutting down' : undefined].filter((p): p is string => p !== undefined),
  });
  swap.to = (pair) => server.setSecureContext({ cert: pair.cert, key: pair.key });
  logger.info({ url: server.url, port: server.port }, 'listening');
  const monitoring = monitoringPort === 0 ? undefined : await startMonitoringServer(metrics, host, monitoringPort);
  if (values['manage-ca-bundle'] === true) {
    bundles = new CaBundleManager({
      clients: connect(values.kubeconfig),
      configName: values['webhook-config-name']!,
      caFile: values['ca-file'] ?? join(dirname(certFile), 'ca.crt'),
      lease: { name: `${values['webhook-config-name']}-ca-bundle`, namespace: values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'istio-system', identity: process.env.POD_NAME ?? hostname(), durationSeconds: leaseSeconds },
      logger,
      onPublished: () => gate.recheck(),
    });
    await bundles.start();
  }
  if (monitoring !== undefined) logger.info({ url: `http://${host}:${monitoring.port}/metrics` }, 'metrics listening');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      // The apiserver keeps sending reviews until the endpoint removal reaches it: keep answering
      // (not ready) for the delay, then stop accepting and finish what is in flight.
      stopping = true;
      logger.info({ signal, delaySeconds, graceSeconds }, 'shutting down: not ready, still answering');
      certs.stop();
      gate.stop();
      watcher?.stop();
      bundles?.stop();
      const timer = setTimeout(() => {
        logger.warn({ graceSeconds }, 'grace period over: exiting with reviews still in flight');
        resolve();
      }, (delaySeconds + graceSeconds) * 1000);
      timer.unref();
      setTimeout(() => {
        logger.info('no new connections; finishing in-flight reviews');
        monitoring?.server.close();
        // Kept-alive connections that go idle are closed as soon as they do.
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        idle.unref();
        server.close().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: unknown) => {
            logger.error({ err }, 'error while closing');
            resolve();
          },
        );
      }, delaySeconds * 1000).unref();
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
  logger.info('stopped');
  logger.flush();
  return 0;
}

async function placeholderCertificate(): Promise<{ cert: string; key: string }> {
  const ca = await generateCa({ commonName: 'sidecar-injector placeholder', days: 1 });
  return generateServingCert(ca, { sans: ['placeholder.invalid'], days: 1 });
}

