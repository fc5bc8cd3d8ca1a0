/**
 * Values files mean the same to `manifests` as to Helm: keys override the defaults one by one,
 * lists replace, and `null` removes a key of the defaults (Helm's coalescing). The cluster suite
 * renders the same files with the real Helm and compares; these cases pin the rules without it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { defaultValues } from '../../../src/manifests/index.js';
import { mergeValues, REMOVABLE_KEYS } from '../../../src/manifests/merge.js';

const schema = JSON.parse(readFileSync('charts/sidecar-injector/values.schema.json', 'utf8'));

/** Every key path of values.yaml that the schema does not require, descending into typed objects only. */
function optionalPaths(values: Record<string, unknown>, node: any, prefix: string, out: string[] = []): string[] {
  for (const [key, value] of Object.entries(values)) {
    const path = prefix + key;
    const child = node?.properties?.[key];
    if (!(node?.required ?? []).includes(key)) out.push(path);
    // Free-form maps (additionalProperties other than false) hold user keys, not chart keys.
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && child?.properties !== undefined) {
      optionalPaths(value as Record<string, unknown>, child, path + '.', out);
    }
  }
  return out;
}

describe('values files over the defaults (mergeValues)', () => {
  it('overrides key by key and replaces lists', () => {
    const v = mergeValues(defaultValues(), { resources: { limits: { memory: '1Gi' } }, webhook: { excludedNamespaces: ['a'] } }, 'f.yaml');
    assert.deepEqual(v.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } });
    assert.deepEqual(v.webhook.excludedNamespaces, ['a']);
    assert.equal(v.webhook.failurePolicy, 'Fail');
  });

  it('removes a default with null, as Helm does (no memory limit)', () => {
    const v = mergeValues(defaultValues(), { resources: { limits: null } }, 'f.yaml');
    assert.deepEqual(v.resources, { requests: { cpu: '100m', memory: '128Mi' } });
    const w = mergeValues(defaultValues(), { resources: { requests: { cpu: null } } }, 'f.yaml');
    assert.deepEqual(w.resources.requests, { memory: '128Mi' });
  });

  it('gives a removed optional key what its absence means to the templates', () => {
    const v = mergeValues(defaultValues(), { tolerations: null, webhook: { excludedNamespaces: null }, certificates: { certManager: null } }, 'f.yaml');
    assert.deepEqual(v.tolerations, []);
    assert.deepEqual(v.webhook.excludedNamespaces, []);
    assert.deepEqual(v.certificates.certManager, { issuerRef: {} });
  });

  it('keeps a null under a key the defaults lack (Helm passes it through to the ConfigMap)', () => {
    const v = mergeValues(defaultValues(), { config: { values: { global: { proxy: null } } } }, 'f.yaml');
    assert.deepEqual(v.config.values, { global: { proxy: null } });
  });

  it('refuses to remove a key the chart requires, naming it', () => {
    assert.throws(() => mergeValues(defaultValues(), { server: { port: null }, podDisruptionBudget: null }, 'f.yaml'), /values file 'f\.yaml': podDisruptionBudget, server\.port cannot be null: the chart requires them/);
  });

  it('lets exactly the keys values.schema.json does not require be removed', () => {
    const values = parse(readFileSync('charts/sidecar-injector/values.yaml', 'utf8'));
    assert.deepEqual(Object.keys(REMOVABLE_KEYS).sort(), optionalPaths(values, schema, '').sort());
  });
});
