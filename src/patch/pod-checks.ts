/**
 * The checks the apiserver runs on a created pod (ValidatePodCreate) that an injector can break:
 * names unique across init and app containers, mounts naming existing volumes, volume names
 * unique, at least one container, no variable with both a non-empty `value` and `valueFrom`.
 * Used to refuse our own faulty output before the apiserver does.
 */
import { isJsonObject } from './equal.js';

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((item) => (isJsonObject(item) && typeof item.name === 'string' ? item.name : '')) : [];
}

/** Lists the problems of a pod spec; empty when it passes. */
export function podProblems(pod: unknown): string[] {
  const spec = isJsonObject(pod) && isJsonObject(pod.spec) ? pod.spec : undefined;
  if (spec === undefined) return ['pod has no spec'];
  const problems: string[] = [];
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) problems.push('spec.containers is empty');

  const seen = new Set<string>();
  for (const name of [...names(spec.initContainers), ...names(spec.containers)]) {
    if (name === '') problems.push('a container has no name');
    else if (seen.has(name)) problems.push(`container name '${name}' is used twice`);
    seen.add(name);
  }

  const volumes = new Set<string>();
  for (const name of names(spec.volumes)) {
    if (volumes.has(name)) problems.push(`volume name '${name}' is used twice`);
    volumes.add(name);
  }
  const allContainers = [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...containers];
  for (const container of allContainers) {
    if (!isJsonObject(container)) continue;
    for (const variable of Array.isArray(container.env) ? container.env : []) {
      if (isJsonObject(variable) && variable.valueFrom !== undefined && typeof variable.value === 'string' && variable.value !== '') {
        problems.push(`container '${String(container.name)}' sets variable '${String(variable.name)}' with both value and valueFrom`);
      }
    }
    for (const mount of Array.isArray(container.volumeMounts) ? container.volumeMounts : []) {
      const volume = isJsonObject(mount) ? mount.name : undefined;
      if (typeof volume !== 'string' || !volumes.has(volume)) {
        problems.push(`container '${String(container.name)}' mounts volume '${String(volume)}', which the pod does not define`);
      }
    }
  }
  return problems;
}
