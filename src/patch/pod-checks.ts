/**
 * The checks the apiserver runs on a created pod (ValidatePodCreate) that an injector can break:
 * names unique across init and app containers, mounts naming existing volumes, volume names
 * unique, at least one container, no variable with both a non-empty `value` and `valueFrom`.
 * Used to refuse our own faulty output before the apiserver does.
 */
import { isJsonObject } from './equal.js';

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function nameOf(item: unknown): string {
  return isJsonObject(item) && typeof item.name === 'string' ? item.name : '';
}

/** Lists the problems of a pod spec; empty when it passes. */
export function podProblems(pod: unknown): string[] {
  const spec = isJsonObject(pod) && isJsonObject(pod.spec) ? pod.spec : undefined;
  if (spec === undefined) return ['pod has no spec'];
  const problems: string[] = [];
  const initContainers = list(spec.initContainers);
  const containers = list(spec.containers);
  if (containers.length === 0) problems.push('spec.containers is empty');

  const seen = new Set<string>();
  for (const group of [initContainers, containers]) {
    for (const item of group) {
      const name = nameOf(item);
      if (name === '') problems.push('a container has no name');
      else if (seen.has(name)) problems.push(`container name '${name}' is used twice`);
      seen.add(name);
    }
  }

  const volumes = new Set<string>();
  for (const item of list(spec.volumes)) {
    const name = nameOf(item);
    if (volumes.has(name)) problems.push(`volume name '${name}' is used twice`);
    volumes.add(name);
  }
  for (const group of [initContainers, containers]) checkContainers(group, volumes, problems);
  return problems;
}

/** Variables set both ways, and mounts of volumes the pod does not define. */
function checkContainers(group: readonly unknown[], volumes: ReadonlySet<string>, problems: string[]): void {
  for (const container of group) {
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
}
