/**
 * What the apiserver does to a pod after the last patch: v1 defaulting, then ValidatePodCreate.
 * The kubernetes-models schema covers types, required fields and quantities; the checks it lacks
 * (unique names across init and app containers, mounts of existing volumes, port ranges, at least
 * one container, variables with both a value and valueFrom) are written out here.
 */
import { Pod } from 'kubernetes-models/v1';

/** Defaulting lives in pod-defaults.ts; re-exported for callers that validate defaulted pods. */
export { defaultPod } from './pod-defaults.js';

/** Lists what the apiserver would refuse; empty when the pod is valid. */
export function validatePod(pod: any): string[] {
  const problems: string[] = [];
  try {
    new Pod(pod).validate();
  } catch (err) {
    problems.push(`schema: ${(err as Error).message}`);
  }
  const spec = pod?.spec ?? {};
  const containers = spec.containers ?? [];
  if (containers.length === 0) problems.push('spec.containers: Required value');
  const names = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...containers]) {
    if (names.has(c.name)) problems.push(`containers: Duplicate value: "${c.name}"`);
    names.add(c.name);
    (c.env ?? []).forEach((e: any, i: number) => {
      if (e.valueFrom !== undefined && typeof e.value === 'string' && e.value !== '') problems.push(`${c.name}: env[${i}].valueFrom: Invalid value: may not be specified when \`value\` is not empty`);
    });
    for (const p of c.ports ?? []) {
      if (!(p.containerPort >= 1 && p.containerPort <= 65535)) problems.push(`${c.name}: containerPort ${p.containerPort} out of range`);
    }
  }
  const volumes = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (volumes.has(v.name)) problems.push(`volumes: Duplicate value: "${v.name}"`);
    volumes.add(v.name);
  }
  for (const c of [...(spec.initContainers ?? []), ...containers]) {
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${c.name}: volumeMounts: Not found: "${m.name}"`);
  }
  return problems;
}
