/**
 * The pod annotations Istio validates before injecting, and the parsers the engine uses to read
 * them. Validation refuses exactly what Istio refuses (a valid pod is never denied): every invalid
 * annotation is reported, each as
 * `invalid value '<value>' for annotation '<name>': <parameter> invalid: <reason>`.
 */
import { InjectorError } from '../../errors.js';
import { isValidQuantity } from '../quantity.js';
import { parseCidrList } from './cidr.js';
import { parseGoBool, parseGoUint } from './go-text.js';
import { parseInterfaceList } from './interfaces.js';
import { shownValue } from './shown-value.js';
import { parsePort, parsePortList } from './ports.js';
import { proxyConfigProblem } from './proxy-config.js';

export { cidrProblem, parseCidrList, type CidrList } from './cidr.js';
export { goTrimSpace, parseGoBool, parseGoUint } from './go-text.js';
export { parseInterfaceList } from './interfaces.js';
export { parsePort, parsePortList, type PortList } from './ports.js';
export { proxyConfigProblem } from './proxy-config.js';

/** How the proxy captures traffic (`sidecar.istio.io/interceptionMode`). */
export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

/** Reads an interception mode; undefined for anything but the three exact spellings. */
export function parseInterceptionMode(value: string): InterceptionMode | undefined {
  return value === 'REDIRECT' || value === 'TPROXY' || value === 'NONE' ? value : undefined;
}

/** A check returns why a value is refused, or undefined. Thrown parser errors count as refusals. */
type Check = (value: string) => string | undefined;

function throws(param: string, parse: (value: string) => unknown): Check {
  return (value) => {
    try {
      parse(value);
      return undefined;
    } catch (err) {
      return `${param} invalid: ${(err as Error).message}`;
    }
  };
}

const uint32: Check = (value) => (parseGoUint(value, 32) === undefined ? `'${value}' is not an unsigned 32-bit integer` : undefined);
const bool: Check = (value) => (parseGoBool(value) === undefined ? `'${value}' is not a boolean (true, false, 1, 0, t, f)` : undefined);
// Istio also refuses control characters, which the quantity grammar refuses anyway.
const quantity: Check = (value) => (isValidQuantity(value) ? undefined : `'${value}' is not a quantity such as 100m, 2, 128Mi or 1Gi`);
const interfaces = throws('interfaces', parseInterfaceList);
/**
 * Every annotation Istio validates (or fails on while rendering), with its check. Not here, so
 * never refused: the include outbound ports, the readiness application ports and the others.
 */
const CHECKS: Record<string, Check> = {
  'sidecar.istio.io/interceptionMode': (value) => (parseInterceptionMode(value) === undefined ? `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${value}` : undefined),
  'status.sidecar.istio.io/port': throws('statusPort', parsePort),
  'readiness.status.sidecar.istio.io/initialDelaySeconds': uint32,
  'readiness.status.sidecar.istio.io/periodSeconds': uint32,
  'readiness.status.sidecar.istio.io/failureThreshold': uint32,
  'traffic.sidecar.istio.io/includeOutboundIPRanges': throws('includeIPRanges', (v) => parseCidrList(v, true)),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': throws('excludeIPRanges', (v) => parseCidrList(v, false)),
  'traffic.sidecar.istio.io/includeInboundPorts': throws('includeInboundPorts', (v) => parsePortList(v, true)),
  'traffic.sidecar.istio.io/excludeInboundPorts': throws('excludeInboundPorts', (v) => parsePortList(v, false)),
  'traffic.sidecar.istio.io/excludeOutboundPorts': throws('excludeOutboundPorts', (v) => parsePortList(v, false)),
  'traffic.sidecar.istio.io/excludeInterfaces': interfaces,
  'traffic.sidecar.istio.io/kubevirtInterfaces': interfaces,
  'istio.io/reroute-virtual-interfaces': interfaces,
  'prometheus.istio.io/merge-metrics': bool,
  'proxy.istio.io/config': proxyConfigProblem,
  'sidecar.istio.io/proxyCPU': quantity,
  'sidecar.istio.io/proxyMemory': quantity,
  'sidecar.istio.io/proxyCPULimit': quantity,
  'sidecar.istio.io/proxyMemoryLimit': quantity,
};

/** The annotations validated before injection, sorted. */
export const VALIDATED_ANNOTATIONS: readonly string[] = Object.keys(CHECKS).sort();

/**
 * Throws InjectorError('INVALID_ANNOTATION') listing every invalid annotation (sorted by name, joined
 * with `; `). Annotations Istio does not validate are never refused.
 */
export function validateAnnotations(annotations: Record<string, string>): void {
  const problems: string[] = [];
  for (const name of VALIDATED_ANNOTATIONS) {
    const value = annotations[name];
    if (typeof value !== 'string') continue;
    const problem = CHECKS[name]!(value);
    if (problem !== undefined) problems.push(`invalid value '${shownValue(value)}' for annotation '${name}': ${shownValue(problem)}`);
  }
  if (problems.length > 0) throw new InjectorError('INVALID_ANNOTATION', problems.join('; '));
}
