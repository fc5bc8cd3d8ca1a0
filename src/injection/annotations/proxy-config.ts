/**
 * The checks Istio makes on `proxy.istio.io/config` before injecting: the value must read as a
 * ProxyConfig (YAML or JSON mapping) and the fields it sets must keep the proxy configuration valid.
 * Only fields the annotation sets are checked: the mesh defaults they are laid over are valid.
 */
import { goDurationNanos, proxyConfigReadProblem } from '../proxy-config-check.js';
import { parseYamlAnnotation } from './yaml-value.js';

function portProblem(value: unknown): string | undefined {
  const port = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : `port number ${String(value)} must be in the range 1..65535`;
}

function addressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'not a host:port address';
  const match = /^(?:\[([^\]]+)\]|([^:]*)):([^:]*)$/.exec(value);
  if (match === null) return `unable to split '${value}' into host and port`;
  const port = match[3]!;
  if (!/^[+-]?[0-9]+$/.test(port)) return `port (${port}) is not a number`;
  return portProblem(Number(port));
}

/** Why the annotation's ProxyConfig is refused, or undefined when it is accepted. */
export function proxyConfigProblem(value: string): string | undefined {
  let config: unknown;
  try {
    config = parseYamlAnnotation(value);
  } catch (err) {
    return `failed to convert to apply proxy config: ${(err as Error).message.split('\n')[0]}`;
  }
  // Read as Istio reads it (go-yaml, then protobuf's JSON rules): values of the wrong type fail.
  const readProblem = proxyConfigReadProblem(value);
  if (readProblem !== undefined) return `failed to convert to apply proxy config: ${readProblem}`;
  if (config === null || config === undefined) return undefined;
  if (typeof config !== 'object' || Array.isArray(config)) return 'failed to convert to apply proxy config: not a mapping of ProxyConfig fields';
  const fields = config as Record<string, unknown>;
  const problems: string[] = [];
  if (fields.configPath === '') problems.push('config path must be set');
  if (fields.binaryPath === '') problems.push('binary path must be set');
  if (fields.serviceCluster === '') problems.push('service cluster must be specified');
  if (Object.hasOwn(fields, 'discoveryAddress')) {
    const problem = fields.discoveryAddress === '' ? 'discovery address must be set to the proxy discovery service' : addressProblem(fields.discoveryAddress);
    if (problem !== undefined) problems.push(`invalid discovery address: ${problem}`);
  }
  if (Object.hasOwn(fields, 'drainDuration')) {
    // Go's duration syntax (`45s`, `1m30s`), then Istio's rules on the value.
    const nanos = typeof fields.drainDuration === 'string' ? goDurationNanos(fields.drainDuration) : undefined;
    if (nanos === undefined) problems.push(`invalid drain duration: '${String(fields.drainDuration)}' is not a duration such as 45s`);
    else if (nanos < 1_000_000n) problems.push('invalid drain duration: duration must be greater than 1ms');
    else if (nanos % 1_000_000n !== 0n) problems.push('invalid drain duration: only durations to ms precision are supported');
    else if (nanos % 1_000_000_000n !== 0n) problems.push('drain time only supports durations to seconds precision');
  }
  for (const [field, label] of [['proxyAdminPort', 'proxy admin port'], ['statusPort', 'status port']] as const) {
    if (!Object.hasOwn(fields, field)) continue;
    const problem = portProblem(fields[field]);
    if (problem !== undefined) problems.push(`invalid ${label}: ${problem}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
