/**
 * The pod rendering starts from. Rendering replaces whole values as it goes, and changes in place
 * only these: the pod, its metadata, the spec and its lists, each container and its lifecycle
 * (probes and hooks are replaced on them). So only those are copied; everything under them
 * (environment lists, mounts, ports, volumes' contents) is shared with the review's pod, which
 * stays untouched. A copy of the whole pod would cost more than the rest of rendering for a pod
 * with thousands of variables; sharing also lets the diff skip, by identity, everything rendering
 * left alone. Labels and annotations (up to 256 KB) are shared too: rendering changes them on the
 * merged pod, whose maps are its own, and a re-injection copies the annotations before taking
 * out what the earlier injection added.
 */
import { copyObject, isJsonObject as isMap } from '../patch/equal.js';
import type { Pod } from './types.js';

function copyContainer(container: unknown): unknown {
  if (!isMap(container)) return container;
  const copy = copyObject(container);
  if (isMap(container.lifecycle)) copy.lifecycle = copyObject(container.lifecycle);
  return copy;
}

/** A copy of `pod` that rendering may change in place without changing `pod`. */
export function workingCopy(pod: Pod): Pod {
  const copy = copyObject(pod);
  if (isMap(pod.metadata)) {
    copy.metadata = copyObject(pod.metadata);
  }
  if (isMap(pod.spec)) {
    const spec = copyObject(pod.spec);
    for (const list of ['initContainers', 'containers', 'volumes', 'imagePullSecrets'] as const) {
      // Go reads `null` as an empty list (and the apiserver, encoding it again, leaves it out).
      if (spec[list] === null) delete spec[list];
      else if (Array.isArray(spec[list])) spec[list] = list.endsWith('ontainers') ? (spec[list] as unknown[]).map(copyContainer) : [...(spec[list] as unknown[])];
    }
    copy.spec = spec;
  }
  return copy;
}
