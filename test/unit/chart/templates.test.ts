/**
 * Without a helm binary the templates cannot be rendered, but their YAML skeleton can be checked:
 * template actions are replaced by placeholders (lines holding only an action are dropped), the
 * result must parse, and its key paths must be those of the resources `manifests` builds, except
 * for parts the templates fill from helpers or optional values.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildManifests, defaultValues } from '../../../src/manifests/index.js';

const DIR = 'charts/sidecar-injector/templates';

function skeleton(file: string): any[] {
  const text = readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\{\{-?.*-?\}\}\s*$/.test(line))
    .map((line) => line.replace(/\{\{-?.*?-?\}\}/g, 'x'))
    .join('\n');
  const docs = parseAllDocuments(text);
  for (const doc of docs) assert.deepEqual(doc.errors.map((e) => e.message), [], `${file} is not well-formed YAML`);
  return docs.map((d) => d.toJS());
}

/** Every key path, array items as []; values are ignored. */
function paths(obj: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(obj)) for (const item of obj) paths(item, `${prefix}[]`, out);
  else if (typeof obj === 'object' && obj !== null) {
    for (const [k, v] of Object.entries(obj)) {
      out.add(`${prefix}.${k}`);
      paths(v, `${prefix}.${k}`, out);
    }
  }
  return out;
}

// Filled by `include`/`toYaml` (dropped from the skeleton) or only rendered when a value is set.
const FROM_HELPERS = /(\.labels\.|\.matchLabels\.|\.selector\.app\.kubernetes|\.resources\.(requests|limits)|\.issuerRef\.)/;
const OPTIONAL = /\.(imagePullSecrets|nodeSelector|tolerations)$/;

describe('chart templates', () => {
  const values = defaultValues();
  values.certificates.caBundle = 'Q0E=';
  const release = { name: 'sidecar-injector', namespace: 'istio-system' };
  const config = { values: { global: {} }, config: { policy: 'enabled' }, mesh: { defaultConfig: {} } };
  // Every variant a template can render: the three certificate modes, a configuration set, and an
  // ExternalName Service.
  const built = [
    ...buildManifests({ ...values, config }, release),
    ...buildManifests({ ...values, certificates: { ...values.certificates, mode: 'server' } }, release),
    ...buildManifests({ ...values, certificates: { ...values.certificates, mode: 'cert-manager' } }, release),
    ...buildManifests({ ...values, service: { ...values.service, externalName: 'injector.example.com' } }, release),
  ];

  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} has the shape of the resources \`manifests\` builds`, () => {
      for (const doc of skeleton(file)) {
        const twins = built.filter((b) => b.kind === doc.kind && b.apiVersion === doc.apiVersion);
        assert.ok(twins.length > 0, `${file}: ${doc.apiVersion} ${doc.kind} is not built by manifests`);
        const ours = new Set(twins.flatMap((twin) => [...paths(twin)]));
        const theirs = paths(doc);
        const onlyTemplate = [...theirs].filter((p) => !ours.has(p) && !OPTIONAL.test(p) && !FROM_HELPERS.test(p));
        const onlyBuilt = [...ours].filter((p) => !theirs.has(p) && !FROM_HELPERS.test(p));
        assert.deepEqual({ onlyTemplate, onlyBuilt }, { onlyTemplate: [], onlyBuilt: [] }, `${file}: ${doc.kind}`);
      }
    });
  }
});
