/**
 * `sidecar-injector check`: explains whether a pod would get a sidecar and why, step by step as
 * the apiserver and the injector decide: namespace selector, object selector, then Istio's rules.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { defaultConfig, loadConfig, type ConfigFiles, type InjectorConfig } from '../config/index.js';
import { InjectorError } from '../errors.js';
import { decide, type Pod } from '../injection/index.js';
import { selectorMatches } from '../injection/label-selector.js';
import { connect, describeKubeError } from '../kube/client.js';
import { namespaceLabels } from '../kube/namespaces.js';
import { readPod } from '../kube/pods.js';
import { templateSlot } from '../kube-inject/workloads.js';
import { buildWebhookConfiguration } from '../manifests/webhook-configuration.js';

const HELP = `usage: sidecar-injector check -n NAMESPACE (-f FILE | --pod NAME) [flags]

Explains whether the pod would be injected and why: the namespace's labels against the webhook's
namespaceSelector, the pod's labels against its objectSelector, then the injector's rules
(host network, system namespaces, sidecar.istio.io/inject, selectors, policy).

flags:
  -n, --namespace NS           the namespace the pod is (or would be) created in (required)
  -f, --filename FILE          a Pod or a workload manifest (its pod template is checked)
  --pod NAME                   a pod read from the cluster
  --namespace-labels k=v,...   the namespace's labels, instead of reading them from the cluster
  --kubeconfig FILE            kubeconfig for cluster reads
  --values, --inject-config, --mesh-config FILE, --config-dir DIR   the injector's configuration
  -h, --help                   show this help
`;

/** One line per step, and the verdict. Pure. */
export function explainPod(input: { namespace: string; namespaceLabels: Record<string, string>; pod: Pod; config: InjectorConfig }): { inject: boolean; lines: string[] } {
  const webhook = (buildWebhookConfiguration().webhooks as any[])[0];
  const nsLabels = { 'kubernetes.io/metadata.name': input.namespace, ...input.namespaceLabels };
  const podLabels = input.pod.metadata?.labels ?? {};
  const lines: string[] = [];
  const show = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)';
  const nsMatch = selectorMatches(webhook.namespaceSelector, nsLabels);
  lines.push(`namespace '${input.namespace}' labels: ${show(nsLabels)}`);
  lines.push(nsMatch ? '  -> matches the namespaceSelector (istio-injection=enabled): the apiserver calls the webhook' : '  -> does not match the namespaceSelector (needs istio-injection=enabled; never kube-system or the injector\'s namespace): the webhook is never called');
  if (!nsMatch) return { inject: false, lines };
  const objMatch = selectorMatches(webhook.objectSelector, podLabels);
  lines.push(`pod labels: ${show(podLabels)}`);
  lines.push(objMatch ? '  -> matches the objectSelector' : "  -> the label sidecar.istio.io/inject=false excludes it: the webhook is never called");
  if (!objMatch) return { inject: false, lines };
  const decision = decide({ pod: input.pod, namespace: input.namespace }, input.config, 'webhook');
  lines.push(decision.inject ? `injector: inject (rule: ${decision.reason})` : `injector: skip (rule: ${decision.reason}): ${decision.message}`);
  return { inject: decision.inject, lines };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InjectorError('USAGE', `invalid label '${pair}' in --namespace-labels: expected key=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      filename: { type: 'string', short: 'f' },
      pod: { type: 'string' },
      'namespace-labels': { type: 'string' },
      kubeconfig: { type: 'string' },
      values: { type: 'string' },
      'inject-config': { type: 'string' },
      'mesh-config': { type: 'string' },
      'config-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.namespace === undefined) throw new InjectorError('USAGE', 'missing -n NAMESPACE');
  if ((values.filename === undefined) === (values.pod === undefined)) throw new InjectorError('USAGE', 'give exactly one of -f FILE and --pod NAME');
  const files: ConfigFiles = {};
  if (values.values) files.valuesFile = values.values;
  if (values['inject-config']) files.injectConfigFile = values['inject-config'];
  if (values['mesh-config']) files.meshConfigFile = values['mesh-config'];
  if (values['config-dir']) files.dir = values['config-dir'];
  const config = Object.keys(files).length > 0 ? await loadConfig(files) : defaultConfig();

  let pod: Pod;
  let labels: Record<string, string>;
  try {
    if (values.filename !== undefined) {
      const object = parseYaml(await readFile(values.filename, 'utf8'));
      const slot = object && typeof object === 'object' ? templateSlot(object) : undefined;
      if (slot === undefined) throw new InjectorError('USAGE', `${values.filename} holds no pod or pod template`);
      pod = slot.get() as Pod;
    } else {
      pod = (await readPod(connect(values.kubeconfig), values.namespace, values.pod!)) as Pod;
    }
    labels = values['namespace-labels'] !== undefined ? parseLabels(values['namespace-labels']) : await namespaceLabels(connect(values.kubeconfig), values.namespace);
  } catch (err) {
    if (err instanceof InjectorError) throw err;
    process.stderr.write(`error: ${describeKubeError(err)}\n`);
    return 1;
  }
  const { inject, lines } = explainPod({ namespace: values.namespace, namespaceLabels: labels, pod, config });
  process.stdout.write(`${lines.join('\n')}\nverdict: ${inject ? 'the pod gets a sidecar' : 'the pod gets NO sidecar'}\n`);
  return 0;
}
