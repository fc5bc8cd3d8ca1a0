/**
 * What a pod stored through our webhook should be, computed with our `kube-inject` and the real
 * apiserver, and the normalisation that makes two stored pods comparable.
 *
 * How the expectation is obtained, and why it is sound:
 *  1. The same workload is created in a namespace without the injection label. Its pod went
 *     through the same controller, defaulting and built-in admission (ServiceAccount token volume,
 *     tolerations, priority) as the injected one, minus our webhook: it is exactly the object the
 *     apiserver sends us, apart from names and uids.
 *  2. Our `kube-inject` injects that pod offline (with generateName and no name, as in a review).
 *  3. The result is created with `--dry-run=server` in the unlabelled namespace: the apiserver's
 *     defaulting fills in the injected containers (imagePullPolicy, terminationMessagePath, port
 *     protocols, defaultMode...) as it does after a webhook's patch, and the built-in plugins run
 *     over them. That is what happens in a real creation too: once a webhook changed the object,
 *     the apiserver runs the whole mutating chain again, in-tree plugins included
 *     (k8s.io/apiserver admission reinvocation), so the ServiceAccount plugin mounts the token into
 *     istio-init and istio-proxy as well.
 * What remains different between the two pods is only what differs per object: names, uids,
 * resource versions, timestamps, managed fields, the namespace and the token volume's random
 * suffix, which `comparable` replaces by placeholders.
 */
import { parse, parseAllDocuments } from 'yaml';
import type { ClusterClients } from './control-plane.js';
import { runCli } from './injector.js';

const TOKEN_VOLUME = /^kube-api-access-[a-z0-9]+$/;

/** The stored pod as the webhook saw it on CREATE: no name (generateName only), uid or status. */
export function asAdmissionInput(stored: any): any {
  const pod = structuredClone(stored);
  const meta = pod.metadata;
  if (meta.generateName) delete meta.name;
  for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete meta[key];
  delete pod.status;
  return pod;
}

/** Our kube-inject applied to `pod`, then defaulted by the apiserver (dry run in `namespace`). */
export async function expectedInjection(cluster: ClusterClients, pod: any, namespace: string): Promise<any> {
  const input = asAdmissionInput(pod);
  // kube-inject prints YAML.
  const injected = parse(await runCli(['kube-inject', '-f', '-'], { input: JSON.stringify(input) }));
  injected.metadata.namespace = namespace;
  const { stdout } = await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(injected) });
  return JSON.parse(stdout);
}

/**
 * A pod with what differs from object to object replaced by placeholders, so two pods made from
 * the same template in two namespaces compare equal exactly when they were treated alike.
 */
export function comparable(stored: any): any {
  const pod = structuredClone(stored);
  const meta = pod.metadata;
  const namespace: string = meta.namespace;
  for (const key of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete meta[key];
  // A Job's pods also carry their owner's uid in labels (batch.kubernetes.io/controller-uid).
  const ownerUids: string[] = (meta.ownerReferences ?? []).map((owner: any) => owner.uid).filter(Boolean);
  const tokenVolume: string | undefined = (pod.spec.volumes ?? []).map((v: any) => v.name).find((n: string) => TOKEN_VOLUME.test(n));
  let text = JSON.stringify(pod);
  // Also inside JSON carried in strings (proxy.istio.io/overrides records the user's mounts).
  if (tokenVolume) text = text.split(tokenVolume).join('kube-api-access-<random>');
  for (const uid of ownerUids) text = text.split(uid).join('<owner-uid>');
  // A namespace name could appear in values the injector derives from it; keep those comparable.
  text = text.split(namespace).join('<namespace>');
  return JSON.parse(text);
}

/**
 * {@link expectedInjection} for many pods at once, with the given `kube-inject` flags (a corpus
 * case's settings): one kube-inject run for all of them, then one server-side dry run each, in the
 * namespace of its twin. A dry run still refuses a name that is taken, and a named pod's twin is
 * stored under that name: such a pod is dry-run under a generated name, which no defaulting or
 * built-in plugin reads, and given its own name back. A pod the apiserver refuses comes back as
 * the apiserver's Status (`kind: Status`, `code`, `message`).
 */
export async function expectedInjections(cluster: ClusterClients, twins: Array<{ pod: any; namespace: string }>, kubeInjectArgs: string[]): Promise<any[]> {
  if (twins.length === 0) return [];
  const input = twins.map(({ pod }) => JSON.stringify(asAdmissionInput(pod))).join('\n---\n');
  const output = await runCli(['kube-inject', '-f', '-', ...kubeInjectArgs], { input });
  const injected = parseAllDocuments(output).map((doc) => doc.toJS()).filter((doc) => doc !== null);
  if (injected.length !== twins.length) throw new Error(`kube-inject printed ${injected.length} documents for ${twins.length} pods`);
  return Promise.all(
    injected.map(async (pod, i) => {
      const { namespace } = twins[i]!;
      const name: string | undefined = pod.metadata.name;
      const generateName: string | undefined = pod.metadata.generateName;
      pod.metadata.namespace = namespace;
      if (name !== undefined) {
        delete pod.metadata.name;
        pod.metadata.generateName = `${name}-`;
      }
      const res = await cluster.api('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, pod);
      // A refusal is an answer too: the caller compares it with what the webhook path got.
      if (res.status !== 201) return res.body;
      const defaulted = res.body;
      if (name !== undefined) {
        defaulted.metadata.name = name;
        if (generateName === undefined) delete defaulted.metadata.generateName;
        else defaulted.metadata.generateName = generateName;
      }
      return defaulted;
    }),
  );
}
