import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { run } from '../../../src/cli/manifests.js';
import { validateWebhookConfiguration } from '../../e2e/emulator/webhook-configuration.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function manifests(...args: string[]): { status: number | null; docs: any[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'manifests', ...args], { encoding: 'utf8', timeout: 20_000 });
  const docs = r.status === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJS()) : [];
  return { status: r.status, docs, stderr: r.stderr };
}

describe('sidecar-injector manifests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, CA_PEM);

  it('prints every resource as YAML documents kubectl can apply, with the CA from --ca-file', () => {
    const { status, docs, stderr } = manifests('--ca-file', caFile);
    assert.equal(status, 0, stderr);
    assert.deepEqual(docs.map((d) => d.kind), ['ServiceAccount', 'ConfigMap', 'Service', 'Deployment', 'PodDisruptionBudget', 'MutatingWebhookConfiguration']);
    const config = docs.at(-1);
    assert.deepEqual(validateWebhookConfiguration(config), []);
    assert.equal(Buffer.from(config.webhooks[0].clientConfig.caBundle, 'base64').toString(), CA_PEM);
    assert.ok(docs.slice(0, -1).every((d) => d.metadata.namespace === 'istio-system'));
  });

  it('applies flags and values files over the chart defaults', () => {
    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, 'webhook:\n  timeoutSeconds: 5\nresources:\n  limits:\n    memory: 512Mi\n');
    const { status, docs, stderr } = manifests('--namespace', 'mesh', '--name', 'inj', '-f', valuesFile, '--cert-mode', 'cert-manager', '--replicas', '3', '--failure-policy', 'Ignore', '--image', 'registry.local:5000/inj:dev');
    assert.equal(status, 0, stderr);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    assert.equal(deployment.metadata.namespace, 'mesh');
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.template.spec.containers[0].image, 'registry.local:5000/inj:dev');
    assert.deepEqual(deployment.spec.template.spec.containers[0].resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    const webhook = docs.find((d) => d.kind === 'MutatingWebhookConfiguration').webhooks[0];
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.timeoutSeconds, 5);
    assert.deepEqual(docs.filter((d) => d.apiVersion === 'cert-manager.io/v1').map((d) => d.kind), ['Issuer', 'Certificate']);
  });

  it('refuses bad input with exit status 2 and a reason', () => {
    const r = manifests('--cert-mode', 'manual');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error \[USAGE\]: invalid value 'manual' for --cert-mode/);
  });

  it('names the problem for every refused input', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'webhook:\n  failurPolicy: Ignore\n');
    // Values Helm's schema check refuses: refused here too, every problem named.
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'server:\n  port: "9443"\n  logLevel: verbose\nwebhook:\n  namespaceLabel:\n    key: istio injection\n');
    const removed = join(dir, 'removed.yaml');
    writeFileSync(removed, 'podDisruptionBudget: null\n');
    const cases: [string[], RegExp][] = [
      [[], /certificates\.caBundle/],
      [['--ca-file', caFile, '--failure-policy', 'Maybe'], /--failure-policy: expected one of Fail, Ignore/],
      [['--ca-file', caFile, '--timeout-seconds', '60'], /--timeout-seconds: expected an integer from 1 to 30/],
      [['--ca-file', join(dir, 'missing.crt')], /cannot read --ca-file .*ENOENT/],
      [['--ca-file', caFile, '--ca-bundle', 'Q0E='], /alternatives/],
      [['--ca-file', caFile, '--image', 'no-tag'], /--image: expected repository:tag/],
      [['--ca-file', caFile, '-f', typo], /unknown key\(s\) webhook\.failurPolicy/],
      [['--ca-file', caFile, '-f', invalid], /invalid values .*server\.port: must be integer; server\.logLevel: must be equal to one of the allowed values \(fatal, .*\); webhook\.namespaceLabel\.key: must match pattern/],
      [['--ca-file', caFile, '--log-level', 'verbose'], /server\.logLevel: must be equal to one of the allowed values/],
      [['--ca-file', caFile, '-f', removed], /podDisruptionBudget cannot be null: the chart requires it/],
    ];
    for (const [args, reason] of cases) {
      await assert.rejects(run(args), (err: any) => err.code === 'USAGE' && reason.test(err.message), args.join(' '));
    }
  });
});
