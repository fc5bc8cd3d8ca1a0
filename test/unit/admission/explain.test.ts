import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain } from '../../../src/admission/explain.js';

describe('explain', () => {
  it('says why a pod was skipped', () => {
    assert.deepEqual(explain({ inject: false, reason: 'host-network', message: 'the pod uses the host network (hostNetwork: true)' }), {
      warnings: ['sidecar-injector: no sidecar injected: the pod uses the host network (hostNetwork: true)'],
      auditAnnotations: { decision: 'skipped', reason: 'host-network' },
    });
  });

  it('warns about an app running as the proxy UID and about NET_ADMIN under Pod Security Admission', () => {
    const rendered = {
      spec: {
        securityContext: { runAsUser: 1337 },
        initContainers: [{ name: 'istio-init', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } }],
        containers: [{ name: 'app' }, { name: 'other', securityContext: { runAsUser: 1000 } }, { name: 'istio-proxy' }],
      },
    };
    const { warnings, auditAnnotations } = explain({ inject: true, reason: 'policy-enabled' }, rendered);
    assert.deepEqual(auditAnnotations, { decision: 'injected', reason: 'policy-enabled', mode: 'sidecar', containers: 'istio-init,istio-proxy' });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /container 'app' runs as UID 1337/);
    assert.match(warnings[1]!, /NET_ADMIN .* Pod Security Admission/);
  });

  it('says what was injected: the containers, the proxy image and native-sidecar mode', () => {
    const rendered = {
      spec: {
        initContainers: [{ name: 'istio-validation' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0', restartPolicy: 'Always' }],
        containers: [{ name: 'app' }],
      },
    };
    const { warnings, auditAnnotations } = explain({ inject: true, reason: 'label-opt-in' }, rendered);
    assert.deepEqual(auditAnnotations, {
      decision: 'injected',
      reason: 'label-opt-in',
      mode: 'native-sidecar',
      containers: 'istio-validation,istio-proxy',
      proxyImage: 'docker.io/istio/proxyv2:1.24.0',
    });
    assert.deepEqual(warnings, []);
  });

  it("compares app UIDs with the proxy's own UID, and lets a container override the pod's", () => {
    const rendered = {
      spec: {
        securityContext: { runAsUser: 2000 },
        containers: [{ name: 'inherits' }, { name: 'overrides', securityContext: { runAsUser: 1000 } }, { name: 'istio-proxy', securityContext: { runAsUser: 2000 } }],
      },
    };
    const { warnings } = explain({ inject: true, reason: 'policy-enabled' }, rendered);
    assert.deepEqual(warnings, ["sidecar-injector: container 'inherits' runs as UID 2000, the proxy's UID: its traffic bypasses the proxy"]);
  });
});
