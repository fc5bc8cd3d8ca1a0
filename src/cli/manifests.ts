/**
 * `sidecar-injector manifests`: prints the installation resources as YAML, from the same defaults
 * as the Helm chart, for clusters without Helm (`sidecar-injector manifests | kubectl apply -f -`).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { InjectorError } from '../errors.js';
import { buildManifests, CERTIFICATE_MODES, defaultValues, type CertificateMode, type InstallValues } from '../manifests/index.js';
import { mergeValues } from '../manifests/merge.js';
import { validateValues } from '../manifests/validate.js';

const HELP = `usage: sidecar-injector manifests [flags]

Prints the Deployment, Service, ServiceAccount, RBAC, ConfigMap, PodDisruptionBudget and
MutatingWebhookConfiguration as YAML, with the Helm chart's defaults (charts/sidecar-injector).

flags:
  --namespace NS             namespace of the injector (default istio-system; must exist)
  --name NAME                name of every resource, like a Helm release (default sidecar-injector)
  -f, --values FILE          a values file in the chart's format (repeatable; later files win)
  --image REF                image repository:tag
  --replicas N               number of replicas (default 2)
  --cert-mode MODE           secret (default), cert-manager or server
  --secret-name NAME         the TLS Secret (modes secret and cert-manager; default <name>-tls)
  --ca-file FILE             mode secret: the CA that signed the Secret's certificate (PEM)
  --ca-bundle B64            mode secret: the same, base64 PEM
  --failure-policy P         Fail (default) or Ignore
  --timeout-seconds N        webhook timeout, 1-30 (default 10)
  --reinvocation-policy P    IfNeeded (default) or Never
  --log-level LEVEL          the server's log level (default info)
  -h, --help                 show this help
`;

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InjectorError('USAGE', `invalid value '${raw}' for --${flag}: expected an integer from ${min} to ${max}`);
  return Number(raw);
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new InjectorError('USAGE', `invalid value '${raw}' for --${flag}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/** Splits `repo:tag` at the last colon that is not part of a registry host:port. */
function splitImage(ref: string): { repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at <= 0 || ref.slice(at).includes('/')) throw new InjectorError('USAGE', `invalid value '${ref}' for --image: expected repository:tag`);
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
}

export async function run(argv: string[]): Promise<number> {
  const { values: flags } = parseArgs({
    args: argv,
    strict: true,
    options: {
      namespace: { type: 'string', default: 'istio-system' },
      name: { type: 'string', default: 'sidecar-injector' },
      values: { type: 'string', short: 'f', multiple: true },
      image: { type: 'string' },
      replicas: { type: 'string' },
      'cert-mode': { type: 'string' },
      'secret-name': { type: 'string' },
      'ca-file': { type: 'string' },
      'ca-bundle': { type: 'string' },
      'failure-policy': { type: 'string' },
      'timeout-seconds': { type: 'string' },
      'reinvocation-policy': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (flags.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  let values: InstallValues = defaultValues();
  for (const file of flags.values ?? []) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InjectorError('USAGE', `cannot read values file '${file}': ${err.code ?? err.message}`);
    });
    values = mergeValues(values, parse(text) ?? {}, file);
  }
  if (flags.image !== undefined) values.image = { ...values.image, ...splitImage(flags.image) };
  if (flags.replicas !== undefined) values.replicaCount = integer('replicas', flags.replicas, 1, 100);
  if (flags['cert-mode'] !== undefined) values.certificates.mode = oneOf<CertificateMode>('cert-mode', flags['cert-mode'], CERTIFICATE_MODES);
  if (flags['secret-name'] !== undefined) values.certificates.secretName = flags['secret-name'];
  if (flags['ca-file'] !== undefined && flags['ca-bundle'] !== undefined) throw new InjectorError('USAGE', '--ca-file and --ca-bundle are alternatives: pass one');
  if (flags['ca-file'] !== undefined) {
    const pem = await readFile(flags['ca-file'], 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InjectorError('USAGE', `cannot read --ca-file '${flags['ca-file']}': ${err.code ?? err.message}`);
    });
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new InjectorError('USAGE', `--ca-file '${flags['ca-file']}' holds no PEM certificate`);
    values.certificates.caBundle = Buffer.from(pem).toString('base64');
  }
  if (flags['ca-bundle'] !== undefined) values.certificates.caBundle = flags['ca-bundle'];
  if (flags['failure-policy'] !== undefined) values.webhook.failurePolicy = oneOf('failure-policy', flags['failure-policy'], ['Fail', 'Ignore'] as const);
  if (flags['timeout-seconds'] !== undefined) values.webhook.timeoutSeconds = integer('timeout-seconds', flags['timeout-seconds'], 1, 30);
  if (flags['reinvocation-policy'] !== undefined) values.webhook.reinvocationPolicy = oneOf('reinvocation-policy', flags['reinvocation-policy'], ['IfNeeded', 'Never'] as const);
  if (flags['log-level'] !== undefined) values.server.logLevel = flags['log-level'];

  validateValues(values);
  const docs = buildManifests(values, { name: flags.name!, namespace: flags.namespace! });
  process.stdout.write(docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n'));
  return 0;
}
