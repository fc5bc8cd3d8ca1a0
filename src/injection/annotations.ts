/**
 * Validation of the pod annotations Istio validates before injecting. An invalid value fails
 * injection with a message naming the annotation and the value; nothing else is refused.
 */
import { isIP } from 'node:net';
import { InjectorError } from '../errors.js';
import { isValidQuantity } from './quantity.js';

/** Parses a comma-separated port list; `*` only where `allowWildcard`. Returns an error or undefined. */
export function portListProblem(value: string, allowWildcard: boolean): string | undefined {
  if (value.trim() === '') return undefined;
  if (allowWildcard && value.trim() === '*') return undefined;
  for (const raw of value.split(',')) {
    const port = raw.trim();
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `'${port}' is not a port number (1-65535)`;
  }
  return undefined;
}

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^\d+$/.test(prefix)) return false;
  const family = isIP(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Parses a comma-separated CIDR list; `*` only where `allowWildcard`. Returns an error or undefined. */
export function cidrListProblem(value: string, allowWildcard: boolean): string | undefined {
  if (value.trim() === '') return undefined;
  if (allowWildcard && value.trim() === '*') return undefined;
  for (const raw of value.split(',')) {
    const cidr = raw.trim();
    if (!isCidr(cidr)) return `'${cidr}' is not a CIDR such as 10.0.0.0/8`;
  }
  return undefined;
}

function uint32Problem(value: string): string | undefined {
  return /^\d+$/.test(value.trim()) && Number(value) <= 4294967295 ? undefined : 'not a non-negative integer';
}

function portProblem(value: string): string | undefined {
  return /^\d+$/.test(value.trim()) && Number(value) <= 65535 ? undefined : 'not a port number (0-65535)';
}

function jsonMapProblem(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? undefined : 'not a JSON object';
  } catch {
    return 'not valid JSON';
  }
}

/** Each validated annotation, the Istio parameter it sets, and its check. */
const VALIDATORS: Record<string, { param: string; check: (value: string) => string | undefined }> = {
  'sidecar.istio.io/interceptionMode': { param: 'interceptionMode', check: (v) => (['REDIRECT', 'TPROXY', 'NONE'].includes(v) ? undefined : 'must be REDIRECT, TPROXY or NONE') },
  'traffic.sidecar.istio.io/includeOutboundIPRanges': { param: 'includeIPRanges', check: (v) => cidrListProblem(v, true) },
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': { param: 'excludeIPRanges', check: (v) => cidrListProblem(v, false) },
  'traffic.sidecar.istio.io/includeInboundPorts': { param: 'includeInboundPorts', check: (v) => portListProblem(v, true) },
  'traffic.sidecar.istio.io/excludeInboundPorts': { param: 'excludeInboundPorts', check: (v) => portListProblem(v, false) },
  'traffic.sidecar.istio.io/includeOutboundPorts': { param: 'includeOutboundPorts', check: (v) => portListProblem(v, true) },
  'traffic.sidecar.istio.io/excludeOutboundPorts': { param: 'excludeOutboundPorts', check: (v) => portListProblem(v, false) },
  'status.sidecar.istio.io/port': { param: 'statusPort', check: portProblem },
  'readiness.status.sidecar.istio.io/initialDelaySeconds': { param: 'readinessInitialDelaySeconds', check: uint32Problem },
  'readiness.status.sidecar.istio.io/periodSeconds': { param: 'readinessPeriodSeconds', check: uint32Problem },
  'readiness.status.sidecar.istio.io/failureThreshold': { param: 'readinessFailureThreshold', check: uint32Problem },
  'readiness.status.sidecar.istio.io/applicationPorts': { param: 'readinessApplicationPorts', check: (v) => portListProblem(v, false) },
  'sidecar.istio.io/proxyCPU': { param: 'proxyCPU', check: (v) => (isValidQuantity(v) ? undefined : 'not a CPU quantity such as 100m') },
  'sidecar.istio.io/proxyMemory': { param: 'proxyMemory', check: (v) => (isValidQuantity(v) ? undefined : 'not a memory quantity such as 128Mi') },
  'sidecar.istio.io/proxyCPULimit': { param: 'proxyCPULimit', check: (v) => (isValidQuantity(v) ? undefined : 'not a CPU quantity such as 2') },
  'sidecar.istio.io/proxyMemoryLimit': { param: 'proxyMemoryLimit', check: (v) => (isValidQuantity(v) ? undefined : 'not a memory quantity such as 1Gi') },
  'sidecar.istio.io/userVolume': { param: 'userVolume', check: jsonMapProblem },
  'sidecar.istio.io/userVolumeMount': { param: 'userVolumeMount', check: jsonMapProblem },
};

/** The annotations this injector validates. */
export const VALIDATED_ANNOTATIONS = Object.keys(VALIDATORS);

/** Throws InjectorError('INVALID_ANNOTATION') naming the first invalid annotation and its value. */
export function validateAnnotations(annotations: Record<string, string>): void {
  for (const [key, { param, check }] of Object.entries(VALIDATORS)) {
    const value = annotations[key];
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) {
      throw new InjectorError('INVALID_ANNOTATION', `invalid value '${value}' for annotation '${key}' (${param}): ${problem}`);
    }
  }
}
