import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../../src/config/index.js';
import { decide, type Pod } from '../../../src/injection/index.js';

function pod(meta: { labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string } = {}, hostNetwork = false): Pod {
  return { metadata: { name: 'p', ...meta }, spec: { containers: [{ name: 'app' }], ...(hostNetwork ? { hostNetwork: true } : {}) } };
}

const enabled = buildConfig({});
const disabled = buildConfig({ injector: { policy: 'disabled' } });
const selectors = buildConfig({
  injector: {
    neverInjectSelector: [{ matchLabels: { tier: 'batch' } }],
    alwaysInjectSelector: [{ matchExpressions: [{ key: 'mesh', operator: 'Exists' }] }],
    policy: 'disabled',
  },
});

describe('decide follows Istio rules in Istio order', () => {
  const cases: Array<[string, Pod, string, ReturnType<typeof buildConfig>, boolean, string, ('webhook' | 'kube-inject')?]> = [
    ['a plain pod under policy enabled', pod(), 'demo', enabled, true, 'policy-enabled'],
    ['a host-network pod, even when asked for', pod({ annotations: { 'sidecar.istio.io/inject': 'true' } }, true), 'demo', enabled, false, 'host-network'],
    ['a pod in kube-system', pod(), 'kube-system', enabled, false, 'system-namespace'],
    ['a pod in local-path-storage', pod(), 'local-path-storage', enabled, false, 'system-namespace'],
    ['label false', pod({ labels: { 'sidecar.istio.io/inject': 'false' } }), 'demo', enabled, false, 'label-opt-out'],
    ['annotation false', pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }), 'demo', enabled, false, 'annotation-opt-out'],
    ['label true winning over annotation false', pod({ labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'sidecar.istio.io/inject': 'false' } }), 'demo', enabled, true, 'label-opt-in'],
    ['label false winning over annotation true', pod({ labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'true' } }), 'demo', enabled, false, 'label-opt-out'],
    ['an unrecognised value, which falls back to the policy (enabled)', pod({ annotations: { 'sidecar.istio.io/inject': 'no' } }), 'demo', enabled, true, 'policy-enabled'],
    ['"yes", which is not "true": the policy (disabled) decides', pod({ annotations: { 'sidecar.istio.io/inject': 'yes' } }), 'demo', disabled, false, 'policy-disabled'],
    ['"False", which is not "false": the policy (enabled) decides', pod({ labels: { 'sidecar.istio.io/inject': 'False' } }), 'demo', enabled, true, 'policy-enabled'],
    ['an empty label, which hides the annotation false', pod({ labels: { 'sidecar.istio.io/inject': '' }, annotations: { 'sidecar.istio.io/inject': 'false' } }), 'demo', enabled, true, 'policy-enabled'],
    ['kube-inject with "off", which is not "false"', pod({ annotations: { 'sidecar.istio.io/inject': 'off' } }), 'demo', enabled, true, 'default', 'kube-inject'],
    ['a pod without opinion under policy disabled', pod(), 'demo', disabled, false, 'policy-disabled'],
    ['neverInjectSelector before alwaysInjectSelector', pod({ labels: { tier: 'batch', mesh: 'x' } }), 'demo', selectors, false, 'never-inject-selector'],
    ['alwaysInjectSelector over policy disabled', pod({ labels: { mesh: 'x' } }), 'demo', selectors, true, 'always-inject-selector'],
    ['kube-inject ignoring policy disabled', pod(), 'demo', disabled, true, 'default', 'kube-inject'],
    ['kube-inject in a system namespace named by the pod', pod({ namespace: 'kube-system' }), 'kube-system', enabled, false, 'system-namespace', 'kube-inject'],
    ['kube-inject of a workload in kube-system whose pod template names no namespace', pod(), 'kube-system', enabled, true, 'default', 'kube-inject'],
    ['kube-inject still honouring opt-out', pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }), 'demo', enabled, false, 'annotation-opt-out', 'kube-inject'],
  ];
  for (const [name, p, namespace, cfg, inject, reason, mode] of cases) {
    it(`${inject ? 'injects' : 'skips'} ${name}`, () => {
      const decision = decide({ pod: p, namespace }, cfg, mode ?? 'webhook');
      assert.equal(decision.inject, inject);
      assert.equal(decision.reason, reason);
      if (!decision.inject) assert.ok(decision.message.length > 0);
    });
  }
});
