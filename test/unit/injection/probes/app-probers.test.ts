import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appProbersJson, mergeAppProbers, shouldRewriteAppProbes } from '../../../../src/injection/probes/index.js';
import type { JsonObject, Pod } from '../../../../src/injection/types.js';

function pod(containers: JsonObject[], annotations: Record<string, string> = {}, initContainers?: JsonObject[]): Pod {
  return { metadata: { annotations }, spec: { containers, ...(initContainers ? { initContainers } : {}) } };
}

const hello = (extra: JsonObject): JsonObject => ({ name: 'hello', image: 'x', ports: [{ name: 'http', containerPort: 80 }, { containerPort: 81 }], ...extra });

describe('appProbersJson', () => {
  const cases: Array<[string, Pod, string]> = [
    ['HTTP probes, sorted keys', pod([hello({ readinessProbe: { httpGet: { port: 3333 } }, livenessProbe: { httpGet: { port: 80, path: '/live' } } })]),
      '{"/app-health/hello/livez":{"httpGet":{"path":"/live","port":80}},"/app-health/hello/readyz":{"httpGet":{"port":3333}}}'],
    ['named ports resolved', pod([hello({ livenessProbe: { httpGet: { port: 'http' } }, readinessProbe: { tcpSocket: { port: 'http' } } })]),
      '{"/app-health/hello/livez":{"httpGet":{"port":80}},"/app-health/hello/readyz":{"tcpSocket":{"port":80}}}'],
    ['an undeclared name drops the entry', pod([hello({ livenessProbe: { httpGet: { port: 'nope' } }, readinessProbe: { httpGet: { port: '8080' } }, startupProbe: { httpGet: { port: 81 } } })]),
      '{"/app-health/hello/startupz":{"httpGet":{"port":81}}}'],
    ['HTTPS, host, headers and timeout kept in Go field order', pod([hello({ startupProbe: { timeoutSeconds: 5, httpGet: { httpHeaders: [{ name: 'X', value: 'a&b' }], scheme: 'HTTPS', host: 'h', port: 443, path: '/s?a<b' } } })]),
      '{"/app-health/hello/startupz":{"httpGet":{"path":"/s?a\\u003cb","port":443,"host":"h","scheme":"HTTPS","httpHeaders":[{"name":"X","value":"a\\u0026b"}]},"timeoutSeconds":5}}'],
    ['gRPC with and without service', pod([hello({ livenessProbe: { grpc: { port: 9000 } }, readinessProbe: { grpc: { port: 9000, service: 'svc' }, timeoutSeconds: 0 } })]),
      '{"/app-health/hello/livez":{"grpc":{"port":9000,"service":null}},"/app-health/hello/readyz":{"grpc":{"port":9000,"service":"svc"}}}'],
    ['lifecycle hooks (HTTP, TCP; no timeout)', pod([hello({ lifecycle: { preStop: { httpGet: { port: 91 } }, postStart: { tcpSocket: { port: 93 } } } })]),
      '{"/app-lifecycle/hello/poststartz":{"tcpSocket":{"port":93}},"/app-lifecycle/hello/prestopz":{"httpGet":{"port":91}}}'],
    ['exec probes and sleep hooks are not taken over', pod([hello({ livenessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { sleep: { seconds: 3 } } } })]), ''],
    ['probes already on the status port are left out', pod([hello({ livenessProbe: { httpGet: { path: '/app-health/hello/livez', port: 15020 } }, readinessProbe: { httpGet: { port: 80 } } })]),
      '{"/app-health/hello/readyz":{"httpGet":{"port":80}}}'],
    ['native sidecars and several containers', pod([hello({ readinessProbe: { httpGet: { port: 80 } } }), { name: 'world', livenessProbe: { httpGet: { port: 90 } } }], {}, [{ name: 'side', restartPolicy: 'Always', readinessProbe: { httpGet: { port: 3333 } } }]),
      '{"/app-health/hello/readyz":{"httpGet":{"port":80}},"/app-health/side/readyz":{"httpGet":{"port":3333}},"/app-health/world/livez":{"httpGet":{"port":90}}}'],
    ['istio-proxy is skipped', pod([{ name: 'istio-proxy', readinessProbe: { httpGet: { port: 15021 } } }]), ''],
    ['annotation false disables', pod([hello({ readinessProbe: { httpGet: { port: 80 } } })], { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' }), ''],
    ['annotation that is not a Go boolean is ignored', pod([hello({ readinessProbe: { httpGet: { port: 80 } } })], { 'sidecar.istio.io/rewriteAppHTTPProbers': 'no' }),
      '{"/app-health/hello/readyz":{"httpGet":{"port":80}}}'],
  ];
  for (const [title, input, expected] of cases) {
    it(title, () => assert.equal(appProbersJson(input, 15020), expected));
  }

  it('is empty when the status port is 0 or the setting is off, unless the annotation turns it on', () => {
    const p = pod([hello({ readinessProbe: { httpGet: { port: 80 } } })]);
    assert.equal(appProbersJson(p, 0), '');
    assert.equal(appProbersJson(p, 15020, { rewriteAppHTTPProbe: false }), '');
    const on = pod([hello({ readinessProbe: { httpGet: { port: 80 } } })], { 'sidecar.istio.io/rewriteAppHTTPProbers': 'true' });
    assert.equal(appProbersJson(on, 15020, { rewriteAppHTTPProbe: false }), '{"/app-health/hello/readyz":{"httpGet":{"port":80}}}');
  });

  it('uses targetPort to recognise rewritten probes', () => {
    const p = pod([hello({ readinessProbe: { httpGet: { port: 15020 } } })]);
    assert.equal(appProbersJson(p, 123), '{"/app-health/hello/readyz":{"httpGet":{"port":15020}}}');
    assert.equal(appProbersJson(p, 123, { targetPort: 15020 }), '');
  });

  it('merges the earlier value of a re-injected pod, earlier entries winning', () => {
    const earlier = '{"/app-health/hello/livez":{"httpGet":{"port":80}},"/app-health/hello/readyz":{"httpGet":{"port":3333}}}';
    const reinjected = pod(
      [
        hello({ livenessProbe: { httpGet: { path: '/app-health/hello/livez', port: 15020 } }, readinessProbe: { httpGet: { path: '/app-health/hello/readyz', port: 15020 } } }),
        { name: 'new', livenessProbe: { httpGet: { path: '/testLive', port: 8008 } } },
        { name: 'istio-proxy', env: [{ name: 'ISTIO_KUBE_APP_PROBERS', value: earlier }] },
      ],
      { 'sidecar.istio.io/status': '{}' },
    );
    const expected = '{"/app-health/hello/livez":{"httpGet":{"port":80}},"/app-health/hello/readyz":{"httpGet":{"port":3333}},"/app-health/new/livez":{"httpGet":{"path":"/testLive","port":8008}}}';
    assert.equal(appProbersJson(reinjected, 15020), expected);
    // Without the status annotation Istio does not merge.
    delete reinjected.metadata!.annotations!['sidecar.istio.io/status'];
    assert.equal(appProbersJson(reinjected, 15020), '{"/app-health/new/livez":{"httpGet":{"path":"/testLive","port":8008}}}');
    assert.equal(appProbersJson(reinjected, 15020, { existingProbers: earlier }), expected);
  });
});

describe('mergeAppProbers', () => {
  const fresh = new Map([['/app-health/a/livez', '{"httpGet":{"port":1}}'], ['/app-health/b/livez', '{"httpGet":{"port":2}}']]);
  it('lets earlier entries win and rewrites them in Go layout', () => {
    assert.equal(mergeAppProbers('{"/app-health/a/livez":{"timeoutSeconds":0,"httpGet":{"port":9,"extra":1}}}', fresh), '{"/app-health/a/livez":{"httpGet":{"port":9}},"/app-health/b/livez":{"httpGet":{"port":2}}}');
  });
  it('keeps an unreadable earlier value unchanged', () => {
    assert.equal(mergeAppProbers('not json', fresh), 'not json');
    assert.equal(mergeAppProbers('[1]', fresh), '[1]');
  });
});

describe('shouldRewriteAppProbes', () => {
  const cases: Array<[string | undefined, boolean, boolean]> = [
    [undefined, true, true], [undefined, false, false], ['false', true, false], ['0', true, false], ['F', true, false],
    ['true', false, true], ['1', false, true], ['TRUE', false, true], ['yes', false, false], ['', true, true],
  ];
  for (const [annotation, setting, expected] of cases) {
    it(`${JSON.stringify(annotation)} with setting ${setting} -> ${expected}`, () => {
      const annotations: Record<string, string> = annotation === undefined ? {} : { 'sidecar.istio.io/rewriteAppHTTPProbers': annotation };
      assert.equal(shouldRewriteAppProbes(annotations, setting), expected);
    });
  }
});
