/**
 * `sidecar-injector certs`: a CA and a serving certificate for the in-cluster service, written with
 * private keys readable by the owner only; prints the caBundle for a webhook configuration.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeCertificate, generateCa, generateServingCert } from '../certs/generate.js';
import { InjectorError } from '../errors.js';

const HELP = `usage: sidecar-injector certs [flags]

Generates ca.crt/ca.key and tls.crt/tls.key (SHA-256) for the webhook service and prints the
base64 caBundle to put in the MutatingWebhookConfiguration.

flags:
  --out DIR            where to write the files (default certs)
  --service NAME       service name (default sidecar-injector)
  --namespace NS       service namespace (default istio-system)
  --san NAME           an extra DNS name or IP address (repeatable)
  --days N             serving certificate lifetime in days (default 365)
  --ca-days N          CA lifetime in days (default 3650)
  -h, --help           show this help
`;

function days(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 36500) throw new InjectorError('USAGE', `invalid value '${raw}' for --${flag}: expected a number of days from 1 to 36500`);
  return Number(raw);
}

/** The SANs the apiserver and in-cluster clients use to reach `<service>.<namespace>`. */
export function serviceSans(service: string, namespace: string, extra: string[] = []): string[] {
  return [...new Set([service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...extra])];
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: 'string', default: 'certs' },
      service: { type: 'string', default: 'sidecar-injector' },
      namespace: { type: 'string', default: 'istio-system' },
      san: { type: 'string', multiple: true },
      days: { type: 'string', default: '365' },
      'ca-days': { type: 'string', default: '3650' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const sans = serviceSans(values.service!, values.namespace!, values.san ?? []);
  const ca = await generateCa({ commonName: `${values.service}-ca`, days: days('ca-days', values['ca-days']!) });
  const leaf = await generateServingCert(ca, { sans, commonName: `${values.service}.${values.namespace}.svc`, days: days('days', values.days!) });
  const out = values.out!;
  await mkdir(out, { recursive: true });
  for (const [file, content, mode] of [
    ['ca.key', ca.key, 0o600],
    ['ca.crt', ca.cert, 0o644],
    ['tls.key', leaf.key, 0o600],
    ['tls.crt', leaf.cert, 0o644],
  ] as const) {
    await writeFile(join(out, file), content, { mode });
    await chmod(join(out, file), mode);
  }
  const info = describeCertificate(leaf.cert);
  process.stderr.write(`wrote ${out}/ca.crt, ca.key, tls.crt, tls.key; serving certificate valid until ${info.validTo.toISOString()} for ${sans.join(', ')}\n`);
  process.stdout.write(`${Buffer.from(ca.cert).toString('base64')}\n`);
  return 0;
}
