/** `sidecar-injector register`: creates or updates the MutatingWebhookConfiguration. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { InjectorError } from '../errors.js';
import { connect, describeKubeError } from '../kube/client.js';
import { registerWebhook } from '../kube/registration.js';
import { buildWebhookConfiguration, WEBHOOK_DEFAULTS, type WebhookConfigurationOptions } from '../manifests/webhook-configuration.js';

const HELP = `usage: sidecar-injector register [flags]

Creates or updates the MutatingWebhookConfiguration: pods in namespaces labelled
istio-injection=enabled (kube-system and the injector's namespace excluded) are sent to the
injector's Service, unless labelled sidecar.istio.io/inject=false.

flags:
  --kubeconfig FILE            kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --name NAME                  configuration name (default ${WEBHOOK_DEFAULTS.name})
  --namespace NS               the injector's namespace (default ${WEBHOOK_DEFAULTS.namespace})
  --service NAME               the injector's Service (default ${WEBHOOK_DEFAULTS.serviceName})
  --port N                     Service port (default ${WEBHOOK_DEFAULTS.port})
  --path PATH                  webhook path (default ${WEBHOOK_DEFAULTS.path})
  --ca-file FILE               CA (PEM) for caBundle; without it an existing caBundle is kept
                               (serve --manage-ca-bundle or cert-manager fills it)
  --failure-policy P           Fail or Ignore (default ${WEBHOOK_DEFAULTS.failurePolicy})
  --timeout-seconds N          1-30 (default ${WEBHOOK_DEFAULTS.timeoutSeconds})
  --reinvocation-policy P      Never or IfNeeded (default ${WEBHOOK_DEFAULTS.reinvocationPolicy})
  --print                      print the configuration as YAML instead of applying it
  -h, --help                   show this help
`;

export async function webhookOptionsFrom(values: Record<string, string | boolean | undefined>): Promise<WebhookConfigurationOptions> {
  const options: WebhookConfigurationOptions = {};
  const text = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (text('name')) options.name = text('name')!;
  if (text('namespace')) options.namespace = text('namespace')!;
  if (text('service')) options.serviceName = text('service')!;
  if (text('path')) options.path = text('path')!;
  if (text('port')) {
    const port = Number(text('port'));
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InjectorError('USAGE', `invalid value '${text('port')}' for --port: expected 1-65535`);
    options.port = port;
  }
  const policy = text('failure-policy');
  if (policy !== undefined) {
    if (policy !== 'Fail' && policy !== 'Ignore') throw new InjectorError('USAGE', `invalid value '${policy}' for --failure-policy: expected Fail or Ignore`);
    options.failurePolicy = policy;
  }
  const reinvocation = text('reinvocation-policy');
  if (reinvocation !== undefined) {
    if (reinvocation !== 'Never' && reinvocation !== 'IfNeeded') throw new InjectorError('USAGE', `invalid value '${reinvocation}' for --reinvocation-policy: expected Never or IfNeeded`);
    options.reinvocationPolicy = reinvocation;
  }
  const timeout = text('timeout-seconds');
  if (timeout !== undefined) {
    const n = Number(timeout);
    if (!Number.isInteger(n) || n < 1 || n > 30) throw new InjectorError('USAGE', `invalid value '${timeout}' for --timeout-seconds: expected 1-30`);
    options.timeoutSeconds = n;
  }
  const caFile = text('ca-file');
  if (caFile !== undefined) {
    const pem = await readFile(caFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InjectorError('USAGE', `cannot read --ca-file ${caFile}: ${err.code ?? err.message}`);
    });
    options.caBundle = Buffer.from(pem).toString('base64');
  }
  return options;
}

export const WEBHOOK_FLAGS = {
  name: { type: 'string' },
  namespace: { type: 'string' },
  service: { type: 'string' },
  port: { type: 'string' },
  path: { type: 'string' },
  'ca-file': { type: 'string' },
  'failure-policy': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  'reinvocation-policy': { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...WEBHOOK_FLAGS, kubeconfig: { type: 'string' }, print: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const desired = buildWebhookConfiguration(await webhookOptionsFrom(values));
  if (values.print === true) {
    process.stdout.write(stringify(desired));
    return 0;
  }
  try {
    const result = await registerWebhook(connect(values.kubeconfig), desired);
    process.stdout.write(`mutatingwebhookconfiguration/${(desired.metadata as { name: string }).name} ${result}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`error: cannot register the webhook: ${describeKubeError(err)}\n`);
    return 1;
  }
}
