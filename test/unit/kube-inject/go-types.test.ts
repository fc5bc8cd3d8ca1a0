/**
 * kube-inject writes objects as Kubernetes' Go types write them, as istioctl does (each case found
 * by differential fuzzing against Istio's kube-inject).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { defaultConfig } from '../../../src/config/index.js';
import { goShape } from '../../../src/injection/go-types.js';
import { injectYaml } from '../../../src/kube-inject/inject-documents.js';

describe('objects written as Go writes them', () => {
  it('leaves out empty optional fields and writes required ones the input lacks', () => {
    const pod = goShape({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', creationTimestamp: null, labels: {} },
      spec: {
        hostNetwork: false,
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'app',
            image: 'a',
            env: [{ name: 'A', value: '' }],
            readinessProbe: { httpGet: { path: '', port: 8080, httpHeaders: [{ name: 'X' }] }, initialDelaySeconds: 0 },
            livenessProbe: { grpc: { port: 9000 } },
            volumeMounts: [{ name: 'data', readOnly: false }],
            securityContext: { runAsUser: 0, privileged: false },
          },
        ],
      },
    });
    assert.deepEqual(pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        // A pointer: an explicit 0 stays.
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'app',
            image: 'a',
            env: [{ name: 'A' }],
            resources: {},
            readinessProbe: { httpGet: { port: 8080, httpHeaders: [{ name: 'X', value: '' }] } },
            livenessProbe: { grpc: { port: 9000, service: null } },
            volumeMounts: [{ name: 'data', mountPath: '' }],
            securityContext: { runAsUser: 0, privileged: false },
          },
        ],
      },
      status: {},
    });
  });

  it('writes the status and required fields each workload kind has', () => {
    const set = goShape({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { selector: {}, template: { spec: { containers: [] } } } });
    assert.equal(set.spec.serviceName, '');
    assert.deepEqual(set.spec.updateStrategy, {});
    assert.deepEqual(set.status, { replicas: 0, availableReplicas: 0 });
    const daemons = goShape({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { template: {} } });
    assert.deepEqual(daemons.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
  });

  it('drops fields the types lack, reads keys whatever their case, and writes quantities canonically', () => {
    const pod = goShape({ kind: 'Pod', metadata: { Name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', colour: 'red', resources: { limits: { cpu: '2000m', memory: '1024Mi' } } }] } });
    assert.equal(pod.metadata.name, 'p');
    assert.equal(pod.spec.containers[0].colour, undefined);
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '2', memory: '1Gi' } });
  });

  it('refuses a value the types cannot hold, naming where it is', () => {
    assert.throws(() => goShape({ kind: 'Pod', spec: { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] } }), /spec\.containers\[0\]\.ports\[0\]\.containerPort.*int32/);
    assert.throws(() => goShape({ kind: 'Pod', spec: { containers: [{ name: 'a', readinessProbe: { periodSeconds: 4294967295 } }] } }), /periodSeconds/);
  });

  it('passes kinds it does not read into Go types unchanged', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', creationTimestamp: null }, spec: { ports: [{ port: 80, name: '' }] } };
    assert.equal(goShape(service), service);
  });
});

describe('kube-inject with Go-shaped output', () => {
  it('writes a skipped workload as Go writes it too', () => {
    const out = injectYaml('apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  template:\n    metadata:\n      annotations: {sidecar.istio.io/inject: "false"}\n    spec:\n      containers:\n      - {name: a, image: x, env: [{name: A, value: ""}]}\n', defaultConfig());
    const [set] = parseAllDocuments(out).map((d) => d.toJS());
    assert.equal(set.spec.serviceName, '');
    assert.deepEqual(set.spec.template.spec.containers[0].env, [{ name: 'A' }]);
  });

  it('refuses a ReplicationController without a pod template, as istioctl does', () => {
    assert.throws(() => injectYaml('apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec: {replicas: 1}\n', defaultConfig()), /spec\.template is required value/);
  });
});

describe('kube-inject and proxy.istio.io/config', () => {
  const doc = (extra: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: kube-system}\nspec:\n  template:\n    metadata:\n      annotations: {proxy.istio.io/config: "concurrency: x", sidecar.istio.io/inject: "false"}\n    spec:\n${extra}      containers: [{name: a, image: x}]\n`;
  it('refuses a value Istio cannot read even for a pod it would not inject, as istioctl does', () => {
    assert.throws(() => injectYaml(doc(''), defaultConfig()), /could not parse proxy config: concurrency: string "x" is not an int32/);
  });
  it('but not for a pod on the host network, which istioctl skips first', () => {
    assert.doesNotThrow(() => injectYaml(doc('      hostNetwork: true\n'), defaultConfig()));
  });
});

describe('kube-inject reads and writes YAML as Kubernetes tools do (go-yaml)', () => {
  it('reads unquoted YAML 1.1 scalars as istioctl does: no is false, 1.0 is "1" where a string is expected', () => {
    const out = injectYaml('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {version: 1.0, big: 123456789.0, on: yes}\n  annotations: {sidecar.istio.io/inject: no}\nspec:\n  containers: [{name: a, image: x}]\n', defaultConfig());
    const [pod] = parseAllDocuments(out).map((d) => d.toJS());
    assert.deepEqual(pod.metadata.labels, { version: '1', big: '1.2345679e+08', true: 'true' });
    assert.equal(pod.metadata.annotations['sidecar.istio.io/inject'], 'false');
    assert.equal(pod.spec.containers.length, 1, 'not injected');
  });

  it('quotes every string go-yaml would read as something else', () => {
    const out = injectYaml('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: "yes", b: "0123", c: "1e3", d: "n"}\n  annotations: {sidecar.istio.io/inject: "false"}\nspec:\n  containers: [{name: a, image: x}]\n', defaultConfig());
    for (const text of ['a: "yes"', 'b: "0123"', 'c: "1e3"', 'd: "n"']) assert.ok(out.includes(text), text);
  });

  it('writes documents of kinds it does not handle back as they are, and refuses floats JSON cannot hold', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {a: yes}}\nspec: {ports: [{port: 80}]}\n';
    assert.equal(injectYaml(service, defaultConfig()), service);
    assert.throws(() => injectYaml('apiVersion: v1\nkind: Service\nspec: {x: .inf}\n', defaultConfig()), /json: unsupported value: \+Inf/);
  });
});
