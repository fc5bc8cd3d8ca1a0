/**
 * CIDR lists as Istio validates them (Go's netip.ParsePrefix on each comma-separated entry, no
 * trimming): IPv4 in strict dotted decimal, IPv6 with `::` and an embedded IPv4 tail, no zone,
 * prefix length without sign or leading zero. Host bits may be set (`10.0.0.1/8` is accepted).
 */

/** A parsed CIDR list: the entries as written, or every address. */
export type CidrList = string[] | '*';

function ipv4Problem(text: string): string | undefined {
  const fields = text.split('.');
  if (fields.length !== 4) return 'IPv4 address must have four fields';
  for (const field of fields) {
    if (!/^[0-9]{1,3}$/.test(field)) return `bad IPv4 field '${field}'`;
    if (field.length > 1 && field.startsWith('0')) return `IPv4 field '${field}' has a leading zero`;
    if (Number(field) > 255) return `IPv4 field '${field}' is greater than 255`;
  }
  return undefined;
}

function ipv6Problem(text: string): string | undefined {
  if (text.includes('%')) return 'IPv6 zones cannot be present in a prefix';
  const halves = text.split('::');
  if (halves.length > 2) return 'more than one ::';
  let bytes = 0;
  const groupsOf = (half: string, last: boolean): string | undefined => {
    if (half === '') return undefined;
    const groups = half.split(':');
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (last && i === groups.length - 1 && group.includes('.')) {
        const problem = ipv4Problem(group);
        if (problem !== undefined) return problem;
        bytes += 4;
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
        bytes += 2;
      } else {
        return `bad IPv6 group '${group}'`;
      }
    }
    return undefined;
  };
  const problem = groupsOf(halves[0]!, halves.length === 1) ?? (halves.length === 2 ? groupsOf(halves[1]!, true) : undefined);
  if (problem !== undefined) return problem;
  if (halves.length === 1) return bytes === 16 ? undefined : 'IPv6 address must have eight groups';
  // `::` must stand for at least one group of zeros.
  return bytes <= 14 ? undefined : 'the :: must expand to at least one field of zeros';
}

/** Why `text` is not a prefix Go's netip.ParsePrefix accepts, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return "no '/'";
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  // The first '.' or ':' decides the family, as in Go.
  const family = /[.:%]/.exec(address)?.[0];
  let max: number;
  let problem: string | undefined;
  if (family === '.') {
    problem = ipv4Problem(address);
    max = 32;
  } else if (family === ':') {
    problem = ipv6Problem(address);
    max = 128;
  } else {
    return 'unable to parse IP';
  }
  if (problem !== undefined) return problem;
  if (!/^(0|[1-9][0-9]*)$/.test(bits)) return `bad bits after slash: '${bits}'`;
  if (Number(bits) > max) return 'prefix length out of range';
  return undefined;
}

/**
 * Parses a comma-separated CIDR list; `*` (exactly) only when `allowWildcard`. An empty value is an
 * empty list. Throws an Error naming the first bad entry.
 */
export function parseCidrList(value: string, allowWildcard: boolean): CidrList {
  if (allowWildcard && value === '*') return '*';
  if (value === '') return [];
  const entries = value.split(',');
  for (const entry of entries) {
    const problem = cidrProblem(entry);
    if (problem !== undefined) throw new Error(`failed parsing cidr '${entry}': ${problem} (not a CIDR such as 10.0.0.0/8)`);
  }
  return entries;
}
