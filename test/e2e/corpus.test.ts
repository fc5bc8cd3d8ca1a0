/**
 * Every pod of Istio's injection corpus and every real AdmissionReview capture, pushed through the
 * webhook path: no patch may fail to apply, no result may fail validation, and reinvocation must
 * change nothing. The corpus lives in ../shared (not in this repository); without it these tests
 * are not registered and the run says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { defaultConfig, loadConfig } from '../../src/config/index.js';
import { ApiError } from './emulator/apiserver.js';
import { callWebhook } from './emulator/call.js';
import { injectorConfiguration, SERVICE, startHarness, type Harness } from './emulator/harness.js';
import { applyJsonPatchV4 } from './emulator/json-patch-v4.js';
import { decodePod } from './emulator/pod-decode.js';
import { defaultPod } from './emulator/pod-defaults.js';
import { validatePod } from './emulator/pod-validation.js';

const SHARED = join('..', 'shared');
const CASES = join(SHARED, 'conformance', 'istio', 'cases');
const SAMPLES = join(SHARED, 'reference', 'admission-samples');

/** Pod templates of a manifest, with the namespace they would be created in. */
function podsOf(object: any): Array<{ namespace: string; pod: any }> {
  if (object?.kind === 'List') return (object.items ?? []).flatMap(podsOf);
  const namespace = object?.metadata?.namespace ?? 'default';
  const name = object?.metadata?.name ?? 'pod';
  const template = object?.kind === 'Pod' ? object : object?.kind === 'CronJob' ? object.spec?.jobTemplate?.spec?.template : object?.spec?.template;
  if (template?.spec?.containers === undefined) return [];
  const metadata = { ...template.metadata };
  if (!metadata.name) metadata.generateName = `${name}-`;
  return [{ namespace, pod: { metadata, spec: template.spec } }];
}

async function throughChain(h: Harness, namespace: string, pod: any): Promise<string | undefined> {
  try {
    const result = await h.api.createPod(namespace, pod);
    const ours = result.calls.filter((c) => c.webhook === 'sidecar-injector.istio.io');
    if (ours.length > 1 && ours[1]!.outcome.kind !== 'allowed') return `reinvocation changed the pod: ${JSON.stringify(ours[1]!.outcome).slice(0, 300)}`;
    return undefined;
  } catch (err) {
    return err instanceof ApiError ? `${err.code}: ${err.message.slice(0, 300)}` : String(err);
  }
}

if (!existsSync(CASES) && !existsSync(SAMPLES)) {
  process.stderr.write(`corpus e2e: ${SHARED} not found; the corpus tests are not registered\n`);
} else {
  describe('the injection corpus through the webhook path', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
      // A second webhook-independent change forces reinvocation for every pod.
      h.api.applyConfiguration(injectorConfiguration(h.caBundle));
    });
    after(() => h.close());

    const ensureNamespace = (namespace: string) => h.api.createNamespace(namespace, { 'istio-injection': 'enabled' });

    if (existsSync(CASES)) {
      it('injects every pod of Istio’s corpus with zero patch or validation failures', async () => {
        const failures: string[] = [];
        let pods = 0;
        for (const name of readdirSync(CASES).sort()) {
          const dir = join(CASES, name);
          const caseInfo = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
          // The case's own settings, as the server would load them from the ConfigMaps.
          const config = await loadConfig({ valuesFile: join(dir, 'values.json'), meshConfigFile: join(dir, 'mesh.yaml'), injectConfigFile: join(dir, 'config.yaml') });
          const native = caseInfo.flags[caseInfo.flags.indexOf('--native-sidecars') + 1];
          h.setConfig({ ...config, nativeSidecars: native === 'true' });
          for (const doc of parseAllDocuments(readFileSync(join(dir, 'in.yaml'), 'utf8'))) {
            for (const { namespace, pod } of podsOf(doc.toJS())) {
              pods++;
              ensureNamespace(namespace);
              // As in a cluster, the service account a pod names exists (the plugin refuses it otherwise).
              if (pod.spec.serviceAccountName) h.api.createServiceAccount(namespace, pod.spec.serviceAccountName);
              const failure = await throughChain(h, namespace, pod);
              const expected = caseInfo.expectError !== null;
              if (expected && (failure === undefined || !failure.startsWith('400'))) failures.push(`${name}: expected a denial, got ${failure ?? 'success'}`);
              if (!expected && failure !== undefined) failures.push(`${name}: ${failure}`);
            }
          }
        }
        assert.ok(pods > 100, `only ${pods} pods found`);
        assert.deepEqual(failures, []);
      });
    }

    if (existsSync(SAMPLES)) {
      it('injects the pod of every real AdmissionReview capture', async () => {
        const failures: string[] = [];
        h.setConfig(defaultConfig());
        for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).sort()) {
          const review = JSON.parse(readFileSync(join(SAMPLES, file), 'utf8'));
          const namespace = review.request.namespace ?? 'default';
          ensureNamespace(namespace);
          const account = review.request.object.spec?.serviceAccountName;
          if (account) h.api.createServiceAccount(namespace, account);
          const failure = await throughChain(h, namespace, review.request.object);
          if (failure !== undefined) failures.push(`${file}: ${failure}`);
        }
        assert.deepEqual(failures, []);
      });

      it('answers every real AdmissionReview capture, sent verbatim, with a patch the apiserver applies', async () => {
        const failures: string[] = [];
        h.setConfig(defaultConfig());
        for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).sort()) {
          const raw = readFileSync(join(SAMPLES, file), 'utf8');
          const review = JSON.parse(raw);
          const target = { port: h.server.port, serviceName: SERVICE.name, serviceNamespace: SERVICE.namespace, path: '/inject', caBundle: h.caBundle, timeoutSeconds: 10, webhookName: 'sidecar-injector.istio.io' };
          const { outcome } = await callWebhook(target, review);
          if (outcome.kind !== 'patched') {
            failures.push(`${file}: ${JSON.stringify(outcome).slice(0, 300)}`);
            continue;
          }
          try {
            const object = { apiVersion: 'v1', kind: 'Pod', ...review.request.object };
            const pod = defaultPod(decodePod(applyJsonPatchV4(object, outcome.ops)));
            const problems = validatePod(pod);
            if (problems.length > 0) failures.push(`${file}: ${problems.join('; ')}`);
            if (!pod.spec.containers.some((c: any) => c.name === 'istio-proxy') && !(pod.spec.initContainers ?? []).some((c: any) => c.name === 'istio-proxy')) failures.push(`${file}: no istio-proxy`);
          } catch (err) {
            failures.push(`${file}: ${(err as Error).message}`);
          }
        }
        assert.deepEqual(failures, []);
      });
    }
  });
}
