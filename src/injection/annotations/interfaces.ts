/**
 * Network interface lists (`excludeInterfaces`, `kubevirtInterfaces`,
 * `istio.io/reroute-virtual-interfaces`): comma-separated Linux interface names, each trimmed.
 */
import { goTrimSpace } from './go-text.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

/** Parses an interface list; empty means none. Throws an Error naming the first bad entry. */
export function parseInterfaceList(value: string): string[] {
  if (value === '') return [];
  return value.split(',').map((raw) => {
    const name = goTrimSpace(raw);
    if (name === '') throw new Error('empty interface name');
    if (name.length > 15) throw new Error(`interface name '${name}' too long (max 15 chars)`);
    if (!NAME.test(name)) throw new Error(`interface name '${name}' contains invalid characters`);
    return name;
  });
}
