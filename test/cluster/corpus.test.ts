/**
 * Every case of Istio's injection corpus through the real apiserver, with the case's own settings:
 * each input object is created in a namespace that a `serve` running those settings is registered
 * for, its pod (made by the object's controller where one can make it) must be stored, and equal
 * to what our `kube-inject` gives for the same pod after the apiserver's defaulting. Cases whose
 * injection must fail show what the client and the controller are told. For the two cases where we
 * knowingly differ from Istio, Istio's own golden is put to the apiserver.
 *
 * The corpus lives in ../shared and is never copied here; without it these tests are not
 * registered, and the run says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CORPUS_CASES, groupBySettings, loadCorpus, templateAsPod } from './lib/corpus.js';
import { runCorpus, WEBHOOK_NAME, type CorpusRun } from './lib/corpus-run.js';
import { reviewsOf } from './lib/corpus-servers.js';
import { comparable } from './lib/expected-pod.js';
import { connectSuite, type Suite } from './support.js';

/** The cases score.mjs fails on purpose (README, "Fidelity to Istio"). */
const DIVERGENT = ['only-proxy-container', 'sidecar-spire'];

/**
 * Cases whose injected pod the apiserver refuses, from Istio's injector as from ours: the input's
 * own annotations ask for something invalid (an absolute `items[].path` in a user volume), and
 * Istio's golden carries the same volume. Stored nowhere; the message is the apiserver's.
 */
const REFUSED_BY_VALIDATION: Record<string, RegExp> = {
  'user-volume': /is invalid: \[spec\.volumes\[\d+\]\.configMap\.items\[0\]\.path: Invalid value: "\/some-path": must be a relative path, spec\.initContainers\[\d+\]\.volumeMounts\[\d+\]\.name: Not found: "user-volume-2"\]$/,
};

const routeText: Record<string, string> = {
  pod: 'the Pod',
  controller: "its controller's pod",
  cronjob: 'the pod of a Job made from it',
  template: 'its pod template as a Pod',
};

if (!existsSync(CORPUS_CASES)) {
  process.stderr.write(`cluster corpus: ${CORPUS_CASES} not found; the corpus tests are not registered\n`);
} else {
  const corpus = loadCorpus();
  const groups = groupBySettings(corpus);
  const log = (line: string) => process.stderr.write(`cluster corpus: ${line}\n`);

  describe(`Istio's injection corpus through the real apiserver (${corpus.length} cases, ${groups.length} settings)`, () => {
    let cluster: Suite;
    let run: CorpusRun;
    before(async () => {
      cluster = await connectSuite();
      run = await runCorpus(cluster, groups, { log });
    });

    for (const c of corpus) {
      if (c.objects.length === 0) continue;
      const what = c.objects.map((o) => `${o.kind} ${o.refusedName ? `${o.refusedName}, a name Kubernetes refuses, as ${o.name}` : o.name}: ${routeText[o.route]}`).join('; ');
      const invalid = REFUSED_BY_VALIDATION[c.name];
      if (invalid !== undefined) {
        it(`${c.name} (${what}): refused by the apiserver's pod validation, as kube-inject's output and Istio's golden are`, async () => {
          const [o] = run.cases.get(c.name)!.objects;
          assert.ok(o?.twin, `the unlabelled twin is stored: ${o?.error}`);
          assert.match(o.error ?? '', invalid);
          assert.equal(o.expected?.kind, 'Status');
          assert.equal(o.expected.code, 422);
          assert.match(o.expected.message, invalid);
          const [golden] = parseAllDocuments(readFileSync(join(c.dir, 'want.yaml'), 'utf8')).map((d) => d.toJS());
          const asPod = await cluster.api('POST', `/api/v1/namespaces/${o.twinNamespace}/pods?dryRun=All`, templateAsPod(golden, o.twinNamespace));
          assert.equal(asPod.status, 422);
          assert.match(asPod.body.message, invalid);
        });
      } else if (c.expectError === null) {
        it(`${c.name} (${what}): stored through our webhook, equal to kube-inject's output after defaulting`, () => {
          const outcome = run.cases.get(c.name)!;
          assert.equal(outcome.objects.length, c.objects.length);
          for (const o of outcome.objects) {
            assert.equal(o.error, undefined, `${o.object.kind} ${o.object.name}: ${o.error}`);
            if (o.object.refusedName !== undefined) {
              assert.equal(o.nameRefusal?.status, 422);
              assert.match(o.nameRefusal.message, new RegExp(`metadata\\.name: Invalid value: "${o.object.refusedName}": a lowercase RFC 1123 subdomain must consist of`));
            }
            assert.equal(o.expected?.kind, 'Pod', `the dry run of kube-inject's output: ${o.expected?.message}`);
            assert.deepEqual(comparable(o.pod), comparable(o.expected), `${o.object.kind} ${o.object.name} in ${o.namespace}`);
          }
        });
      } else {
        it(`${c.name} (${what}): refused, the client and the ReplicaSet controller get "${c.expectError}"`, () => {
          const [refusal] = run.cases.get(c.name)!.refusals;
          assert.ok(refusal);
          assert.equal(refusal.direct.status, 400, refusal.direct.message);
          assert.match(refusal.direct.message, new RegExp(`^admission webhook "${WEBHOOK_NAME.replaceAll('.', '\\.')}" denied the request: `));
          assert.ok(refusal.direct.message.toLowerCase().includes(c.expectError!), refusal.direct.message);
          // The controller keeps the same message in the ReplicaSet's condition.
          assert.equal(refusal.controller?.reason, 'FailedCreate');
          assert.ok(refusal.controller?.message.includes(refusal.direct.message), refusal.controller?.message);
        });
      }
    }

    it('counts: every other pod stored, no other refusal, every review answered by the servers of the groups', async (t) => {
      const outcomes = [...run.cases.values()].flatMap((c) => c.objects);
      const stored = outcomes.filter((o) => o.pod !== undefined);
      const injected = stored.filter((o) => o.pod.metadata.annotations?.['sidecar.istio.io/status'] !== undefined);
      const reviews = [...run.servers.values()].flatMap(reviewsOf);
      const decisions: Record<string, number> = {};
      for (const r of reviews) decisions[r.decision] = (decisions[r.decision] ?? 0) + 1;

      // No controller was refused a pod outside the cases that expect it.
      const expectedRefusals = new Set([
        ...[...run.cases.values()].flatMap((c) => c.refusals.map((r) => r.namespace)),
        ...Object.keys(REFUSED_BY_VALIDATION).flatMap((name) => run.cases.get(name)?.objects.map((o) => o.namespace) ?? []),
      ]);
      const events = await cluster.api('GET', '/api/v1/events?fieldSelector=reason%3DFailedCreate');
      const labelled = new Set(run.namespaces.labelled);
      const unexpected = (events.body.items as any[]).filter((e) => labelled.has(e.metadata.namespace) && !expectedRefusals.has(e.metadata.namespace));
      assert.deepEqual(unexpected.map((e) => `${e.metadata.namespace}: ${e.message}`), []);
      assert.deepEqual(outcomes.filter((o) => o.error !== undefined && !expectedRefusals.has(o.namespace)).map((o) => o.error), []);
      assert.equal(decisions.error ?? 0, 0);
      // Only the run's own namespaces reached the corpus servers.
      assert.deepEqual(reviews.filter((r) => !labelled.has(r.namespace)).map((r) => r.namespace), []);

      const withPods = corpus.filter((c) => c.objects.length > 0);
      const refusedCases = corpus.filter((c) => c.expectError !== null);
      t.diagnostic(`${withPods.length} of ${corpus.length} cases carry a pod (${corpus.filter((c) => c.objects.length === 0).map((c) => `${c.name}: ${c.otherKinds.join(', ')} only`).join('; ')})`);
      t.diagnostic(`${stored.length} pods stored through the webhook: ${injected.length} with a sidecar, ${stored.length - injected.length} left alone by Istio's rules; refused: ${refusedCases.length} cases by our webhook as expected, ${Object.keys(REFUSED_BY_VALIDATION).join(', ')} by the apiserver's validation`);
      t.diagnostic(`${reviews.length} reviews: ${Object.entries(decisions).map(([d, n]) => `${d} ${n}`).join(', ')}`);
      t.diagnostic(`${run.servers.size} servers (one per group of identical settings), ${run.seconds.toFixed(1)} s in all`);
      assert.ok(stored.length > 100, `only ${stored.length} pods`);
    });
  });

  describe("Istio's own goldens where our output differs, put to the apiserver (server-side dry run)", () => {
    let cluster: Suite;
    let namespace: string;
    before(async () => {
      cluster = await connectSuite();
      // No label: no webhook is called, the golden is judged as it is.
      namespace = await cluster.namespace('golden');
    });

    const dryRun = async (path: string, body: any) => {
      const res = await cluster.api('POST', `${path}?dryRun=All`, body);
      return { status: res.status, message: res.body?.message as string | undefined };
    };

    const expectations: Record<string, { why: string; deployment: RegExp; pod: RegExp }> = {
      'only-proxy-container': {
        why: 'istio-proxy moved to initContainers leaves containers empty',
        deployment: /^Deployment\.apps "istio-ingressgateway" is invalid: spec\.template\.spec\.containers: Required value$/,
        pod: /^Pod "istio-ingressgateway-[a-z0-9]{5}" is invalid: spec\.containers: Required value$/,
      },
      'sidecar-spire': {
        why: 'istio-proxy is both a native sidecar and a regular container without an image',
        // The overlay's entry also has no image of its own.
        deployment: /^Deployment\.apps "hello" is invalid: \[spec\.template\.spec\.containers\[1\]\.image: Required value, spec\.template\.spec\.initContainers\[1\]\.name: Duplicate value: "istio-proxy"\]$/,
        pod: /^Pod "hello-[a-z0-9]{5}" is invalid: \[spec\.containers\[1\]\.image: Required value, spec\.initContainers\[1\]\.name: Duplicate value: "istio-proxy"\]$/,
      },
    };

    for (const name of DIVERGENT) {
      const { why, deployment, pod } = expectations[name]!;
      it(`${name}: the apiserver refuses Istio's golden (${why}), as a Deployment and as a Pod`, async (t) => {
        const [golden] = parseAllDocuments(readFileSync(join(CORPUS_CASES, name, 'want.yaml'), 'utf8')).map((d) => d.toJS());
        assert.equal(golden.kind, 'Deployment');
        golden.metadata.namespace = namespace;
        const asDeployment = await dryRun(`/apis/apps/v1/namespaces/${namespace}/deployments`, golden);
        const asPod = await dryRun(`/api/v1/namespaces/${namespace}/pods`, templateAsPod(golden, namespace));
        t.diagnostic(`Deployment: ${asDeployment.status} ${asDeployment.message}`);
        t.diagnostic(`Pod: ${asPod.status} ${asPod.message}`);
        assert.equal(asDeployment.status, 422);
        assert.match(asDeployment.message ?? '', deployment);
        assert.equal(asPod.status, 422);
        assert.match(asPod.message ?? '', pod);
      });
    }
  });
}
