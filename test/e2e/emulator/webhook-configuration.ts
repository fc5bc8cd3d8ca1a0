/**
 * MutatingWebhookConfiguration (admissionregistration.k8s.io/v1) validation and defaulting, as
 * the apiserver does them on create.
 */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Lists the problems the apiserver would report; empty when valid. */
export function validateWebhookConfiguration(obj: any): string[] {
  const problems: string[] = [];
  if (obj?.apiVersion !== 'admissionregistration.k8s.io/v1' || obj?.kind !== 'MutatingWebhookConfiguration') problems.push('not an admissionregistration.k8s.io/v1 MutatingWebhookConfiguration');
  if (typeof obj?.metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(obj.metadata.name)) problems.push('metadata.name: must be a DNS subdomain');
  const seen = new Set<string>();
  for (const [i, w] of (obj?.webhooks ?? []).entries()) {
    const at = `webhooks[${i}]`;
    if (typeof w.name !== 'string' || !DNS_SUBDOMAIN.test(w.name) || w.name.split('.').length < 3) problems.push(`${at}.name: should be a domain with at least three segments separated by dots`);
    if (seen.has(w.name)) problems.push(`${at}.name: Duplicate value: "${w.name}"`);
    seen.add(w.name);
    if (!['None', 'NoneOnDryRun'].includes(w.sideEffects)) problems.push(`${at}.sideEffects: Unsupported value: ${JSON.stringify(w.sideEffects)}`);
    const versions: unknown[] = w.admissionReviewVersions ?? [];
    if (versions.length === 0) problems.push(`${at}.admissionReviewVersions: Required value`);
    else if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) problems.push(`${at}.admissionReviewVersions: must include at least one of v1, v1beta1`);
    if (w.timeoutSeconds !== undefined && !(Number.isInteger(w.timeoutSeconds) && w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30)) problems.push(`${at}.timeoutSeconds: must be between 1 and 30 seconds`);
    if (w.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(w.failurePolicy)) problems.push(`${at}.failurePolicy: Unsupported value`);
    if (w.reinvocationPolicy !== undefined && !['Never', 'IfNeeded'].includes(w.reinvocationPolicy)) problems.push(`${at}.reinvocationPolicy: Unsupported value`);
    const cc = w.clientConfig ?? {};
    if ((cc.service === undefined) === (cc.url === undefined)) problems.push(`${at}.clientConfig: exactly one of url or service is required`);
    if (cc.url !== undefined && !String(cc.url).startsWith('https://')) problems.push(`${at}.clientConfig.url: 'https' is the only allowed URL scheme`);
    if (cc.service !== undefined) {
      if (!cc.service.name || !cc.service.namespace) problems.push(`${at}.clientConfig.service: name and namespace are required`);
      const path = cc.service.path;
      if (path !== undefined && (!path.startsWith('/') || path.slice(1).split('/').some((s: string) => !DNS_SUBDOMAIN.test(s)))) problems.push(`${at}.clientConfig.service.path: must start with / and each segment must be a DNS subdomain`);
      if (cc.service.port !== undefined && !(cc.service.port >= 1 && cc.service.port <= 65535)) problems.push(`${at}.clientConfig.service.port: out of range`);
    }
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
    clientConfig: w.clientConfig?.service ? { ...w.clientConfig, service: { port: 443, ...w.clientConfig.service } } : w.clientConfig,
  };
}
