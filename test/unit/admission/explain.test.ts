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
    assert.deepEqual(auditAnnotations, { decision: 'injected', reason: 'policy-enabled', mode: 'sidecar' });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /container 'app' runs as UID 1337/);
    assert.match(warnings[1]!, /NET_ADMIN .* Pod Security Admission/);
  });
});
