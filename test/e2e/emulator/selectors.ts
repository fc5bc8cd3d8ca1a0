/** Label selectors and rules as the apiserver's webhook dispatcher evaluates them. */

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

/** Does a rule list match a CREATE of core/v1 pods (no subresource)? `pods/*` does not match the pod itself. */
export function rulesMatchPodCreate(rules: any[] | undefined): boolean {
  return (rules ?? []).some((r) => {
    const ops: string[] = r.operations ?? [];
    const groups: string[] = r.apiGroups ?? [];
    const versions: string[] = r.apiVersions ?? [];
    const resources: string[] = r.resources ?? [];
    return (
      (ops.includes('CREATE') || ops.includes('*')) &&
      (groups.includes('') || groups.includes('*')) &&
      (versions.includes('v1') || versions.includes('*')) &&
      (resources.includes('pods') || resources.includes('*') || resources.includes('*/*'))
    );
  });
}
