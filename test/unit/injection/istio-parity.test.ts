/**
 * Behaviours where we once differed from Istio's injector, each found by differential fuzzing
 * against it (npm run fuzz:istio) and pinned here with the smallest pod that shows it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../../src/config/index.js';
import { render, type Pod } from '../../../src/injection/index.js';

function pod(containers: object[], annotations: Record<string, string> = {}): Pod {
  return { metadata: { name: 'web', namespace: 'demo', annotations }, spec: { containers } };
}

const container = (out: Pod, list: 'containers' | 'initContainers', name: string) => (out.spec![list] as any[]).find((c) => c.name === name);

describe('parity with Istio', () => {
  it('keeps istio-iptables -u 1337 when the user istio-proxy runs as root (the uid owner must not be 0)', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 0, runAsGroup: 0 } }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const args = container(out, 'initContainers', 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1337');
    assert.equal(container(out, 'containers', 'istio-proxy').securityContext.runAsUser, 0);
  });

  it('uses the user istio-proxy runAsUser for istio-iptables -u otherwise', () => {
    const out = render({ pod: pod([{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234 } }]), namespace: 'demo', nativeSidecars: false }, defaultConfig());
    const args = container(out, 'initContainers', 'istio-init').args as string[];
    assert.equal(args[args.indexOf('-u') + 1], '1234');
  });
});
