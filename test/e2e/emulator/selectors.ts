/** Label selectors and rules as the apiserver's webhook dispatcher evaluates them. */

/** A label selector against a label set; a missing selector matches everything (v1 defaults it to `{}`). */
export function matchesSelector(selector: any, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In' ? present && e.values.includes(labels[e.key]) :
      e.operator === 'NotIn' ? !present || !e.values.includes(labels[e.key]) :
      e.operator === 'Exists' ? present :
      e.operator === 'DoesNotExist' ? !present : false;
    if (!ok) return false;
  }
  return true;
}

/** The request a rule is matched against. */
export interface RuleTarget {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  group: string;
  version: string;
  resource: string;
  /** '' for the object itself. */
  subresource: string;
  namespaced: boolean;
}

export const POD_CREATE: RuleTarget = { operation: 'CREATE', group: '', version: 'v1', resource: 'pods', subresource: '', namespaced: true };

/**
 * The apiserver's rule matcher: a resource entry `res/sub` matches when `res` is `*` or the
 * resource and `sub` is `*` or the subresource, so `pods/*` matches the pod itself as well as
 * all its subresources, while `pods` matches no subresource.
 */
export function ruleMatches(rule: any, target: RuleTarget): boolean {
  const ops: string[] = rule.operations ?? [];
  const groups: string[] = rule.apiGroups ?? [];
  const versions: string[] = rule.apiVersions ?? [];
  const scope: string = rule.scope ?? '*';
  const scopeOk = scope === '*' || (scope === 'Namespaced' ? target.namespaced : !target.namespaced);
  const resourceOk = (rule.resources ?? []).some((entry: string) => {
    const slash = entry.indexOf('/');
    const res = slash === -1 ? entry : entry.slice(0, slash);
    const sub = slash === -1 ? '' : entry.slice(slash + 1);
    return (res === '*' || res === target.resource) && (sub === '*' || sub === target.subresource);
  });
  return (
    (ops.includes('*') || ops.includes(target.operation)) &&
    (groups.includes('*') || groups.includes(target.group)) &&
    (versions.includes('*') || versions.includes(target.version)) &&
    scopeOk &&
    resourceOk
  );
}

/** Does any rule match a CREATE of core/v1 pods (no subresource)? */
export function rulesMatchPodCreate(rules: any[] | undefined): boolean {
  return (rules ?? []).some((r) => ruleMatches(r, POD_CREATE));
}
