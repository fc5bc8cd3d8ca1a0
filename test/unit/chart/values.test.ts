/**
 * No helm binary runs in `npm test` (test/cluster/helm-*.test.ts render and install the chart with
 * Helm on a real apiserver), so here the chart is checked by what can be checked without rendering:
 * values.yaml against values.schema.json, values.yaml against the `manifests` defaults, and every
 * `.Values` path and server flag the templates use against values.yaml and `serverArgs`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { defaultValues, serverArgs, type InstallValues } from '../../../src/manifests/index.js';
import { VALUES_SCHEMA } from '../../../src/manifests/values-schema.js';

const CHART = 'charts/sidecar-injector';
const valuesYaml = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const templates = Object.fromEntries(readdirSync(join(CHART, 'templates')).map((f) => [f, readFileSync(join(CHART, 'templates', f), 'utf8')]));

function withValues(change: (v: any) => void): unknown {
  const v = structuredClone(valuesYaml);
  change(v);
  return v;
}

function has(obj: any, path: string[]): boolean {
  let at = obj;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !(key in at)) return false;
    at = at[key];
  }
  return true;
}

describe('chart values', () => {
  it('values.yaml validates against values.schema.json', () => {
    assert.equal(validate(valuesYaml), true, JSON.stringify(validate.errors));
  });

  it('the schema refuses typos and values the apiserver or the server would refuse', () => {
    const bad: [string, (v: any) => void][] = [
      ['unknown top-level key', (v) => (v.replicas = 3)],
      ['unknown nested key', (v) => (v.webhook.failurePolicyy = 'Fail')],
      ['failurePolicy', (v) => (v.webhook.failurePolicy = 'Maybe')],
      ['timeoutSeconds over 30', (v) => (v.webhook.timeoutSeconds = 31)],
      ['reinvocationPolicy', (v) => (v.webhook.reinvocationPolicy = 'Always')],
      ['certificate mode', (v) => (v.certificates.mode = 'manual')],
      ['port as a string', (v) => (v.server.port = '9443')],
      ['log level', (v) => (v.server.logLevel = 'verbose')],
      ['webhook name with two segments', (v) => (v.webhook.name = 'sidecar.injector')],
      ['caBundle that is not base64', (v) => (v.certificates.caBundle = '-----BEGIN CERTIFICATE-----')],
      ['namespace label key with a space', (v) => (v.webhook.namespaceLabel.key = 'istio injection')],
      ['namespace label without a value', (v) => delete v.webhook.namespaceLabel.value],
      ['externalName as a URL', (v) => (v.service.externalName = 'https://injector.example.com')],
      ['podDisruptionBudget without minAvailable', (v) => delete v.podDisruptionBudget.minAvailable],
    ];
    for (const [what, change] of bad) assert.equal(validate(withValues(change)), false, `accepted: ${what}`);
    assert.equal(validate(withValues((v) => Object.assign(v.certificates, { mode: 'cert-manager', certManager: { issuerRef: { name: 'ca', kind: 'ClusterIssuer' } } }))), true);
  });

  it('values.schema.json is the schema `sidecar-injector manifests` checks values against', () => {
    assert.deepEqual(schema, VALUES_SCHEMA, 'charts/sidecar-injector/values.schema.json and src/manifests/values-schema.ts differ: change both');
  });

  it('has exactly the defaults `sidecar-injector manifests` uses', () => {
    assert.deepEqual(valuesYaml, defaultValues());
  });

  it('every .Values path the templates use exists in values.yaml', () => {
    // Aliases the templates bind: $server := .Values.server, $w := .Values.webhook, $cm and $issuer.
    const aliases: Record<string, string[]> = { $server: ['server'], $w: ['webhook'], $cm: ['certificates', 'certManager'], $issuer: ['certificates', 'certManager', 'issuerRef'] };
    const missing: string[] = [];
    for (const [file, text] of Object.entries(templates)) {
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z]+)+)/g)) {
        const path = m[1]!.slice(1).split('.');
        if (!has(valuesYaml, path)) missing.push(`${file}: .Values.${path.join('.')}`);
      }
      for (const m of text.matchAll(/(\$server|\$w|\$cm|\$issuer)((?:\.[A-Za-z]+)+)/g)) {
        const path = [...aliases[m[1]!]!, ...m[2]!.slice(1).split('.')];
        // issuerRef is free-form (name, kind, group): checked by the schema instead.
        if (m[1] !== '$issuer' && !has(valuesYaml, path)) missing.push(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('the Deployment template passes the same server flags as `manifests`, in every certificate mode', () => {
    const flagsIn = (args: string[]) => args.filter((a) => a.startsWith('--')).sort();
    const template = templates['deployment.yaml']!;
    const templateFlags = [...template.matchAll(/^\s*- (--[a-z-]+)\s*$/gm)].map((m) => m[1]!).sort();
    const release = { name: 'sidecar-injector', namespace: 'istio-system' };
    const all = new Set<string>();
    for (const mode of ['secret', 'server'] as const) {
      const v: InstallValues = defaultValues();
      v.certificates.mode = mode;
      for (const flag of flagsIn(serverArgs(v, release, 'sidecar-injector'))) {
        all.add(flag);
        assert.ok(templateFlags.includes(flag), `deployment.yaml lacks ${flag} (mode ${mode})`);
      }
    }
    assert.deepEqual([...new Set(templateFlags)].sort(), [...all].sort());
  });

  it('selects namespaces by the istio-injection label by default, excludes kube-system and the release namespace, and opts pods out by label', () => {
    const text = templates['mutatingwebhookconfiguration.yaml']!;
    assert.match(text, /list "kube-system" \.Release\.Namespace/);
    assert.match(text, /matchLabels:\s+\{\{ \$w\.namespaceLabel\.key \| quote \}\}: \{\{ \$w\.namespaceLabel\.value \| quote \}\}/);
    assert.deepEqual(valuesYaml.webhook.namespaceLabel, { key: 'istio-injection', value: 'enabled' });
    assert.match(text, /key: sidecar\.istio\.io\/inject\s+operator: NotIn\s+values: \["false"\]/);
    assert.match(text, /sideEffects: None/);
    // Rendered only in mode secret: the other modes own the field at run time.
    assert.match(text, /\{\{- if eq \$mode "secret" \}\}\s+caBundle:/);
  });

  it('RBAC exists only in mode server and grants what `manifests` grants', () => {
    const text = templates['rbac.yaml']!;
    assert.match(text, /^\{\{- if eq \.Values\.certificates\.mode "server" \}\}/);
    const verbs = [...text.matchAll(/verbs: \[([a-z, ]+)\]/g)].map((m) => m[1]);
    assert.deepEqual(verbs, ['get, update', 'list, watch', 'get, update', 'create']);
    assert.match(text, /resourceNames: \[\{\{ \$fullname \}\}-ca-bundle\]/);
  });

  it('Chart.yaml is a v2 application chart whose appVersion is the default image tag', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'sidecar-injector');
    assert.equal(chart.appVersion, valuesYaml.image.tag);
    assert.equal(chart.appVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
