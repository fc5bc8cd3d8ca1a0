/**
 * What a review says about itself: `warnings` reach whoever created the pod (kubectl prints them),
 * `auditAnnotations` land in the audit log. Both explain skips and flag pods that will not work
 * as their authors expect.
 */
import type { Decision, JsonObject, Pod } from '../injection/index.js';

export interface Explanation {
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

const PROXY_UID = 1337;
/** Containers the injector adds, in the order they run. */
const INJECTED_NAMES = ['istio-init', 'istio-validation', 'istio-proxy'];

function runAsUser(pod: Pod, container: JsonObject): number | undefined {
  return container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
}

/** Explains a decision, and for injected pods the risks the rendered pod carries. */
export function explain(decision: Decision, rendered?: Pod): Explanation {
  if (!decision.inject) {
    return {
      warnings: [`sidecar-injector: no sidecar injected: ${decision.message}`],
      auditAnnotations: { decision: 'skipped', reason: decision.reason },
    };
  }
  const warnings: string[] = [];
  const auditAnnotations: Record<string, string> = { decision: 'injected', reason: decision.reason };
  if (rendered !== undefined) {
    const init = (rendered.spec?.initContainers ?? []) as JsonObject[];
    const containers = (rendered.spec?.containers ?? []) as JsonObject[];
    const nativeProxy = init.find((c) => c.name === 'istio-proxy');
    const proxy = nativeProxy ?? containers.find((c) => c.name === 'istio-proxy');
    auditAnnotations.mode = nativeProxy !== undefined ? 'native-sidecar' : 'sidecar';
    // The injected containers present, in the order they run, each named once.
    const added: string[] = [];
    for (const list of [init, containers]) {
      for (const c of list) if (INJECTED_NAMES.includes(c.name as string) && !added.includes(c.name as string)) added.push(c.name as string);
    }
    if (added.length > 0) auditAnnotations.containers = added.join(',');
    if (typeof proxy?.image === 'string') auditAnnotations.proxyImage = proxy.image;
    // The proxy's own UID is exempt from redirection, so an app sharing it talks to the network directly.
    const proxyUid = typeof proxy?.securityContext?.runAsUser === 'number' ? (proxy.securityContext.runAsUser as number) : PROXY_UID;
    for (const container of containers) {
      if (container.name !== 'istio-proxy' && runAsUser(rendered, container) === proxyUid) {
        warnings.push(`sidecar-injector: container '${container.name}' runs as UID ${proxyUid}, the proxy's UID: its traffic bypasses the proxy`);
      }
    }
    const istioInit = init.find((c) => c.name === 'istio-init');
    if (istioInit?.securityContext?.capabilities?.add?.includes('NET_ADMIN')) {
      warnings.push("sidecar-injector: istio-init needs NET_ADMIN and NET_RAW; Pod Security Admission levels 'baseline' and 'restricted' refuse it (CNI mode avoids it)");
    }
  }
  return { warnings, auditAnnotations };
}
