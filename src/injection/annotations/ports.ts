/**
 * Port lists as Istio reads the traffic annotations: comma-separated, each entry trimmed, the whole
 * value trimmed, empty meaning none, and `*` (exactly) where the annotation allows it.
 */
import { goTrimSpace, parseGoUint } from './go-text.js';

/** A parsed port list: the ports in the order written, or every port. */
export type PortList = number[] | '*';

/** Parses one port (0-65535, surrounding spaces allowed); throws an Error saying why not. */
export function parsePort(value: string): number {
  const port = parseGoUint(goTrimSpace(value), 16);
  if (port === undefined) throw new Error(`failed parsing port '${value}': not a port number (0-65535)`);
  return port;
}

/**
 * Parses a comma-separated port list; `*` only when `allowWildcard` (Istio allows it for the include
 * lists). Throws an Error naming the first bad entry.
 */
export function parsePortList(value: string, allowWildcard: boolean): PortList {
  if (allowWildcard && value === '*') return '*';
  const trimmed = goTrimSpace(value);
  if (trimmed === '') return [];
  return trimmed.split(',').map(parsePort);
}
