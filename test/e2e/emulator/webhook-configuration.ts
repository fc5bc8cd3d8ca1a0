/**
 * MutatingWebhookConfiguration (admissionregistration.k8s.io/v1) validation and defaulting, as
 * the apiserver does them on create. Other modules (the chart and manifest tests) import
 * `validateWebhookConfiguration` to check what they generate.
 */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const OPERATIONS = ['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function isSubdomain(s: unknown): boolean {
  return typeof s === 'string' && s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** `service.path`: empty or `/` are fine; otherwise `/seg/seg[/]` with DNS-subdomain segments. */
function pathProblem(path: string): string | undefined {
  if (path === '' || path === '/') return undefined;
  if (path === '//') return 'segment[0] may not be empty';
  if (!path.startsWith('/')) return "must start with a '/'";
  let rest = path.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  for (const [i, step] of rest.split('/').entries()) {
    if (step === '') return `segment[${i}] may not be empty`;
    if (!isSubdomain(step)) return `segment[${i}]: ${JSON.stringify(step)} is not a DNS subdomain`;
  }
  return undefined;
}

function urlProblems(raw: unknown, at: string): string[] {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    return [`${at}: not a valid URL`];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:') problems.push(`${at}: 'https' is the only allowed URL scheme`);
  if (url.host === '') problems.push(`${at}: host must be specified`);
  if (url.username !== '' || url.password !== '') problems.push(`${at}: user information is not permitted in the URL`);
  if (url.hash !== '' || String(raw).includes('#')) problems.push(`${at}: fragments are not permitted in the URL`);
  if (url.search !== '' || String(raw).includes('?')) problems.push(`${at}: query parameters are not permitted in the URL`);
  return problems;
}

function selectorProblems(selector: any, at: string): string[] {
  if (selector === undefined || selector === null) return [];
  const problems: string[] = [];
  for (const [i, e] of (selector.matchExpressions ?? []).entries()) {
    const where = `${at}.matchExpressions[${i}]`;
    if (!SELECTOR_OPERATORS.includes(e?.operator)) problems.push(`${where}.operator: Invalid value: ${JSON.stringify(e?.operator)}`);
    const values: unknown[] = e?.values ?? [];
    if ((e?.operator === 'In' || e?.operator === 'NotIn') && values.length === 0) problems.push(`${where}.values: Required value: must be specified when operator is In or NotIn`);
    if ((e?.operator === 'Exists' || e?.operator === 'DoesNotExist') && values.length > 0) problems.push(`${where}.values: Forbidden: may not be specified when operator is Exists or DoesNotExist`);
  }
  return problems;
}

function ruleProblems(rule: any, at: string): string[] {
  const problems: string[] = [];
  const ops: unknown[] = rule?.operations ?? [];
  if (ops.length === 0) problems.push(`${at}.operations: Required value`);
  if (ops.length > 1 && ops.includes('*')) problems.push(`${at}.operations: if '*' is present, must not specify other operations`);
  for (const op of ops) if (!OPERATIONS.includes(op as string)) problems.push(`${at}.operations: Unsupported value: ${JSON.stringify(op)}`);
  for (const field of ['apiGroups', 'apiVersions', 'resources']) {
    const list: unknown[] = rule?.[field] ?? [];
    if (list.length === 0) problems.push(`${at}.${field}: Required value`);
    if (list.length > 1 && list.includes('*')) problems.push(`${at}.${field}: if '*' is present, must not specify other ${field}`);
  }
  if (rule?.scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(rule.scope)) problems.push(`${at}.scope: Unsupported value: ${JSON.stringify(rule.scope)}`);
  return problems;
}

/** Lists the problems the apiserver would report; empty when valid. */
export function validateWebhookConfiguration(obj: any): string[] {
  const problems: string[] = [];
  if (obj?.apiVersion !== 'admissionregistration.k8s.io/v1' || obj?.kind !== 'MutatingWebhookConfiguration') problems.push('not an admissionregistration.k8s.io/v1 MutatingWebhookConfiguration');
  if (!isSubdomain(obj?.metadata?.name)) problems.push('metadata.name: must be a DNS subdomain');
  if (obj?.webhooks !== undefined && !Array.isArray(obj.webhooks)) return [...problems, 'webhooks: must be a list'];
  const seen = new Set<string>();
  for (const [i, w] of (obj?.webhooks ?? []).entries()) {
    const at = `webhooks[${i}]`;
    if (typeof w?.name !== 'string' || !isSubdomain(w.name.toLowerCase()) || w.name.split('.').length < 3) problems.push(`${at}.name: should be a domain with at least three segments separated by dots`);
    if (seen.has(w?.name)) problems.push(`${at}.name: Duplicate value: "${w.name}"`);
    seen.add(w?.name);
    if (!['None', 'NoneOnDryRun'].includes(w?.sideEffects)) problems.push(`${at}.sideEffects: ${w?.sideEffects === undefined ? 'Required value' : `Unsupported value: ${JSON.stringify(w.sideEffects)}`}`);
    const versions: unknown[] = w?.admissionReviewVersions ?? [];
    if (versions.length === 0) problems.push(`${at}.admissionReviewVersions: Required value`);
    else if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) problems.push(`${at}.admissionReviewVersions: must include at least one of v1, v1beta1`);
    if (new Set(versions).size !== versions.length) problems.push(`${at}.admissionReviewVersions: Duplicate value`);
    if (w?.timeoutSeconds !== undefined && !(Number.isInteger(w.timeoutSeconds) && w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30)) problems.push(`${at}.timeoutSeconds: must be between 1 and 30 seconds`);
    if (w?.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(w.failurePolicy)) problems.push(`${at}.failurePolicy: Unsupported value: ${JSON.stringify(w.failurePolicy)}`);
    if (w?.matchPolicy !== undefined && !['Exact', 'Equivalent'].includes(w.matchPolicy)) problems.push(`${at}.matchPolicy: Unsupported value: ${JSON.stringify(w.matchPolicy)}`);
    if (w?.reinvocationPolicy !== undefined && !['Never', 'IfNeeded'].includes(w.reinvocationPolicy)) problems.push(`${at}.reinvocationPolicy: Unsupported value: ${JSON.stringify(w.reinvocationPolicy)}`);
    for (const [j, rule] of (w?.rules ?? []).entries()) problems.push(...ruleProblems(rule, `${at}.rules[${j}]`));
    problems.push(...selectorProblems(w?.namespaceSelector, `${at}.namespaceSelector`), ...selectorProblems(w?.objectSelector, `${at}.objectSelector`));
    const cc = w?.clientConfig ?? {};
    if ((cc.service === undefined) === (cc.url === undefined)) problems.push(`${at}.clientConfig: exactly one of url or service is required`);
    if (cc.url !== undefined) problems.push(...urlProblems(cc.url, `${at}.clientConfig.url`));
    if (cc.service !== undefined) {
      if (!cc.service.name) problems.push(`${at}.clientConfig.service.name: Required value`);
      if (!cc.service.namespace) problems.push(`${at}.clientConfig.service.namespace: Required value`);
      const path = cc.service.path;
      const pathError = path === undefined ? undefined : pathProblem(String(path));
      if (pathError !== undefined) problems.push(`${at}.clientConfig.service.path: ${pathError}`);
      if (cc.service.port !== undefined && !(Number.isInteger(cc.service.port) && cc.service.port >= 1 && cc.service.port <= 65535)) problems.push(`${at}.clientConfig.service.port: must be between 1 and 65535`);
    }
    if (cc.caBundle !== undefined && (typeof cc.caBundle !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(cc.caBundle) || cc.caBundle.length % 4 !== 0)) problems.push(`${at}.clientConfig.caBundle: must be base64`);
  }
  return problems;
}

/** The apiserver's defaults for a webhook. */
export function defaultWebhook(w: any): any {
  return {
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    timeoutSeconds: 10,
    reinvocationPolicy: 'Never',
    namespaceSelector: {},
    objectSelector: {},
    ...w,
    rules: (w.rules ?? []).map((r: any) => ({ scope: '*', ...r })),
    clientConfig: w.clientConfig?.service ? { ...w.clientConfig, service: { port: 443, ...w.clientConfig.service } } : w.clientConfig,
  };
}
