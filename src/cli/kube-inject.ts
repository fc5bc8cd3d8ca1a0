/**
 * `sidecar-injector kube-inject`: injects sidecars into manifests offline, like
 * `istioctl kube-inject`, with the same engine as the webhook.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultConfig, loadConfig, type ConfigFiles } from '../config/index.js';
import { InjectorError } from '../errors.js';
import { injectYaml } from '../kube-inject/inject-documents.js';

const HELP = `usage: sidecar-injector kube-inject -f FILE [flags]

Injects the sidecar into every pod template of the manifests in FILE (or stdin with -f -) and
prints the result. Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
ReplicationControllers, DeploymentConfigs and Lists are injected; other kinds pass through.

flags:
  -f, --filename FILE          input manifests, '-' for stdin (required)
  -o, --output FILE            write the result to FILE instead of stdout
  --valuesFile FILE            injector values (JSON)
  --meshConfigFile FILE        mesh config (YAML)
  --injectConfigFile FILE      injector config (YAML)
  --native-sidecars true|false inject istio-proxy as a native sidecar (an init container with
                               restartPolicy: Always); default from the values
  --revision NAME              control plane revision (istio.io/rev); default 'default'
  -h, --help                   show this help
`;

async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InjectorError('USAGE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      filename: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      valuesFile: { type: 'string' },
      meshConfigFile: { type: 'string' },
      injectConfigFile: { type: 'string' },
      'native-sidecars': { type: 'string' },
      revision: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.filename === undefined) throw new InjectorError('USAGE', 'missing -f FILE (use -f - for stdin)');
  const native = values['native-sidecars'];
  if (native !== undefined && native !== 'true' && native !== 'false') {
    throw new InjectorError('USAGE', `invalid value '${native}' for --native-sidecars: expected true or false`);
  }
  const files: ConfigFiles = {};
  if (values.valuesFile !== undefined) files.valuesFile = values.valuesFile;
  if (values.meshConfigFile !== undefined) files.meshConfigFile = values.meshConfigFile;
  if (values.injectConfigFile !== undefined) files.injectConfigFile = values.injectConfigFile;
  const config = Object.keys(files).length > 0 ? await loadConfig(files) : defaultConfig();
  const options: { nativeSidecars?: boolean; revision?: string } = {};
  if (native !== undefined) options.nativeSidecars = native === 'true';
  if (values.revision !== undefined) options.revision = values.revision;
  const output = injectYaml(await readInput(values.filename), config, options);
  if (values.output !== undefined) await writeFile(values.output, output);
  else process.stdout.write(output);
  return 0;
}
