import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { buildWebhookConfiguration } from '../../../src/manifests/webhook-configuration.js';
import { validateWebhookConfiguration } from '../../e2e/emulator/webhook-configuration.js';

describe('buildWebhookConfiguration', () => {
  it('builds a configuration the apiserver accepts, with the documented defaults', () => {
    const config: any = buildWebhookConfiguration();
    assert.deepEqual(validateWebhookConfiguration(config), []);
    new MutatingWebhookConfiguration(config).validate();
    const [webhook] = config.webhooks;
    assert.equal(config.metadata.name, 'sidecar-injector');
    assert.deepEqual(webhook.clientConfig, { service: { name: 'sidecar-injector', namespace: 'istio-system', path: '/inject', port: 443 } });
    assert.equal(webhook.failurePolicy, 'Fail');
    assert.equal(webhook.timeoutSeconds, 10);
    assert.equal(webhook.reinvocationPolicy, 'IfNeeded');
    assert.equal(webhook.sideEffects, 'None');
    assert.deepEqual(webhook.admissionReviewVersions, ['v1', 'v1beta1']);
    assert.deepEqual(webhook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    assert.deepEqual(webhook.namespaceSelector, {
      matchLabels: { 'istio-injection': 'enabled' },
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'istio-system'] }],
    });
    assert.deepEqual(webhook.objectSelector, { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] });
  });

  it('excludes the injector namespace it is told about and honours every option', () => {
    const config: any = buildWebhookConfiguration({
      name: 'mesh-injector',
      namespace: 'mesh',
      serviceName: 'injector',
      port: 8443,
      caBundle: 'Q0E=',
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      reinvocationPolicy: 'Never',
      webhookName: 'inject.example.com',
      excludedNamespaces: ['monitoring', 'mesh'],
      labels: { app: 'injector' },
    });
    assert.deepEqual(validateWebhookConfiguration(config), []);
    const [webhook] = config.webhooks;
    assert.equal(config.metadata.name, 'mesh-injector');
    assert.deepEqual(config.metadata.labels, { app: 'injector' });
    assert.deepEqual(webhook.clientConfig, { service: { name: 'injector', namespace: 'mesh', path: '/inject', port: 8443 }, caBundle: 'Q0E=' });
    assert.deepEqual(webhook.namespaceSelector.matchExpressions[0].values, ['kube-system', 'mesh', 'monitoring']);
    assert.equal(webhook.name, 'inject.example.com');
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.timeoutSeconds, 5);
    assert.equal(webhook.reinvocationPolicy, 'Never');
  });

  it('never renders an empty caBundle, so a controller or cert-manager can own the field', () => {
    const config: any = buildWebhookConfiguration({ caBundle: '' });
    assert.equal('caBundle' in config.webhooks[0].clientConfig, false);
  });

  it('refuses values the apiserver would refuse', () => {
    assert.throws(() => buildWebhookConfiguration({ timeoutSeconds: 31 }), /timeoutSeconds.*1 to 30/);
    assert.throws(() => buildWebhookConfiguration({ failurePolicy: 'Maybe' as never }), /failurePolicy/);
    assert.throws(() => buildWebhookConfiguration({ reinvocationPolicy: 'Always' as never }), /reinvocationPolicy/);
  });
});
