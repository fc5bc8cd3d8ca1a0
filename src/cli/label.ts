/** `sidecar-injector label NAMESPACE [--disable]`: turns injection on or off for a namespace. */
import { parseArgs } from 'node:util';
import { InjectorError } from '../errors.js';
import { connect, describeKubeError } from '../kube/client.js';
import { INJECTION_LABEL, setInjectionLabel } from '../kube/namespaces.js';

const HELP = `usage: sidecar-injector label NAMESPACE [--disable] [--kubeconfig FILE]

Sets ${INJECTION_LABEL}=enabled on the namespace (new pods get the sidecar), or removes the label
with --disable. Existing pods are not changed: restart them (kubectl rollout restart).
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { disable: { type: 'boolean' }, kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const [namespace, ...extra] = positionals;
  if (namespace === undefined || extra.length > 0) throw new InjectorError('USAGE', 'expected exactly one NAMESPACE');
  try {
    await setInjectionLabel(connect(values.kubeconfig), namespace, values.disable !== true);
  } catch (err) {
    process.stderr.write(`error: cannot label namespace '${namespace}': ${describeKubeError(err)}\n`);
    return 1;
  }
  process.stdout.write(values.disable === true ? `namespace/${namespace}: ${INJECTION_LABEL} removed\n` : `namespace/${namespace}: ${INJECTION_LABEL}=enabled\n`);
  return 0;
}
