/**
 * Differential fuzzing against Istio's own injector: random pods (and workloads) with random
 * settings from the conformance corpus go through Istio's kube-inject path (the peer,
 * bench/peers/istio) and our kube-inject engine; the outcomes are compared after parsing. Every
 * difference that no deliberate divergence (divergences.ts, docs/FIDELITY.md) explains is a
 * finding: grouped by kind, the first of each kind shrunk with fast-check, and written out as a
 * case directory both CLIs can run.
 *
 *   npm run fuzz:istio -- [--runs N] [--seed S] [--batch B] [--shrink K] [--out DIR] [--dump]
 *
 * --dump also writes every unexplained difference (input, settings, both outcomes, the
 * differences) to differences.jsonl in the output directory, for triage. --write-run N writes run
 * N of the seed (as generated, not shrunk) as a case directory and stops. --no-divergences counts
 * the deliberate divergences as findings too (to see them shrunk).
 *
 * Needs Go (the peer is built once into .cache/) and the conformance kit beside the repository
 * (../shared/conformance, or CONFORMANCE_DIR). Exit status 1 when a difference is unexplained.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { manifest } from './arbitraries.js';
import { compare, signature, type Verdict } from './compare.js';
import { explain } from './divergences.js';
import { IstioPeer, OurInjector, type Outcome } from './injectors.js';
import { describeChoice, loadCorpus, materialise, settingsChoice, settingsKey, type Corpus, type Settings, type SettingsChoice } from './settings.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KIT = resolve(process.env.CONFORMANCE_DIR ?? join(ROOT, '../shared/conformance'));

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    batch: { type: 'string', default: '250' },
    shrink: { type: 'string', default: '20' },
    out: { type: 'string' },
    dump: { type: 'boolean', default: false },
    'write-run': { type: 'string' },
    'no-divergences': { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(opts.seed);
const batchSize = Number(opts.batch);
const shrinkMax = Number(opts.shrink);
const outDir = resolve(opts.out ?? join(ROOT, '.cache/fuzz-istio', `seed-${seed}`));

interface Case {
  settings: SettingsChoice;
  object: Record<string, any>;
  style: 'quoted' | 'plain';
}

/**
 * The input document: mostly with every string quoted; a quarter of the time written as YAML 1.2
 * writes it, leaving `yes`, `on`, `0123` or `1e3` unquoted, which Istio (go-yaml, YAML 1.1) reads
 * as booleans and numbers: both injectors must read such manifests the same way.
 */
export function documentOf(object: unknown, style: 'quoted' | 'plain' = 'quoted'): string {
  return style === 'plain' ? stringify(object, { lineWidth: 0 }) : stringify(object, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}

interface Result {
  index: number;
  verdict: Verdict;
  explainedBy?: string;
}

async function evaluate(corpus: Corpus, peer: IstioPeer, ours: OurInjector, cases: Case[]): Promise<{ outcomes: [Outcome, Outcome][]; settings: Settings[] }> {
  const settings = cases.map((c) => materialise(corpus, c.settings));
  const outcomes: [Outcome, Outcome][] = new Array(cases.length);
  const groups = new Map<string, number[]>();
  settings.forEach((s, i) => {
    const key = settingsKey(s);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indexes of groups.values()) {
    for (let start = 0; start < indexes.length; start += batchSize) {
      const chunk = indexes.slice(start, start + batchSize);
      const docs = chunk.map((i) => documentOf(cases[i]!.object, cases[i]!.style));
      const s = settings[chunk[0]!]!;
      const [a, b] = await Promise.all([peer.inject(s, docs), ours.inject(s, docs)]);
      await peer.readBack(b);
      chunk.forEach((i, j) => {
        outcomes[i] = [a[j]!, b[j]!];
      });
    }
  }
  return { outcomes, settings };
}

function judge(c: Case, [istio, ours]: [Outcome, Outcome]): { verdict: Verdict; explainedBy?: string } {
  const verdict = compare(istio, ours);
  if (verdict.kind === 'same') return { verdict };
  const explainedBy = opts['no-divergences'] ? undefined : explain(c.object, istio, ours, verdict);
  return explainedBy === undefined ? { verdict } : { verdict, explainedBy };
}

/** Whether `verdict` is still the same finding as `original` (for shrinking). */
function sameFinding(original: Verdict, verdict: Verdict): boolean {
  if (original.kind !== verdict.kind) return false;
  if (original.kind !== 'output' || verdict.kind !== 'output') return true;
  const first = original.differences[0]!.generic;
  return verdict.differences.some((d) => d.generic === first);
}

function writeCase(dir: string, corpus: Corpus, c: Case, settings: Settings, [istio, mine]: [Outcome, Outcome], verdict: Verdict): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'in.yaml'), documentOf(c.object, c.style));
  writeFileSync(join(dir, 'values.json'), settings.values);
  writeFileSync(join(dir, 'mesh.yaml'), settings.mesh);
  writeFileSync(join(dir, 'config.yaml'), settings.config);
  const flags = ['--native-sidecars', String(settings.nativeSidecars)];
  writeFileSync(join(dir, 'case.json'), `${JSON.stringify({ flags, settings: describeChoice(corpus, c.settings), verdict }, null, 2)}\n`);
  writeFileSync(join(dir, 'istio.out'), 'error' in istio ? `ERROR: ${istio.error}\n` : istio.output);
  writeFileSync(join(dir, 'ours.out'), 'error' in mine ? `ERROR: ${mine.error}\n` : mine.output);
}

async function main(): Promise<number> {
  const peerBinary = execFileSync(process.execPath, [join(ROOT, 'bench/peers/istio-peer.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const corpus = loadCorpus(join(KIT, 'istio/cases'));
  const arbitrary = fc.record({ settings: settingsChoice(corpus), object: manifest, style: fc.constantFrom<'quoted' | 'plain'>('quoted', 'quoted', 'quoted', 'plain') }) as fc.Arbitrary<Case>;
  const peer = new IstioPeer(peerBinary);
  const ours = new OurInjector(join(ROOT, '.cache/fuzz-istio/settings'));
  const started = performance.now();
  process.stderr.write(`fuzz:istio seed ${seed}, ${runs} runs (${corpus.valuesVariants.length} values and ${corpus.meshVariants.length} mesh variations from the corpus)\n`);
  try {
    if (opts['write-run'] !== undefined) {
      const index = Number(opts['write-run']);
      const c = fc.sample(arbitrary, { seed, numRuns: index + 1 })[index]!;
      const s = materialise(corpus, c.settings);
      const doc = documentOf(c.object, c.style);
      const [[a], [b]] = await Promise.all([peer.inject(s, [doc]), ours.inject(s, [doc])]);
      await peer.readBack([b!]);
      const dir = join(outDir, `run-${index}`);
      writeCase(dir, corpus, c, s, [a!, b!], compare(a!, b!));
      process.stdout.write(`${dir}\n`);
      return 0;
    }
    const cases = fc.sample(arbitrary, { seed, numRuns: runs });
    const generated = performance.now();
    const { outcomes } = await evaluate(corpus, peer, ours, cases);
    const evaluated = performance.now();
    const results: Result[] = cases.map((c, index) => ({ index, ...judge(c, outcomes[index]!) }));
    const counts = { same: 0, explained: 0, unexplained: 0, istioRefused: 0, bothRefused: 0 };
    const explained = new Map<string, number>();
    const findings = new Map<string, Result[]>();
    for (const r of results) {
      const [istio, mine] = outcomes[r.index]!;
      if ('error' in istio) counts.istioRefused++;
      if ('error' in istio && 'error' in mine) counts.bothRefused++;
      if (r.verdict.kind === 'same') counts.same++;
      else if (r.explainedBy !== undefined) {
        counts.explained++;
        explained.set(r.explainedBy, (explained.get(r.explainedBy) ?? 0) + 1);
      } else {
        counts.unexplained++;
        const sig = signature(r.verdict);
        findings.set(sig, [...(findings.get(sig) ?? []), r]);
      }
    }
    mkdirSync(outDir, { recursive: true });
    // How many runs differ at each path: one cause often shows in several kinds of finding.
    const paths = new Map<string, number>();
    for (const r of results) {
      if (r.explainedBy !== undefined || r.verdict.kind === 'same') continue;
      const seen = r.verdict.kind === 'output' ? new Set(r.verdict.differences.map((d) => d.generic)) : [r.verdict.kind];
      for (const p of seen) paths.set(p, (paths.get(p) ?? 0) + 1);
    }
    if (opts.dump) {
      const lines = results
        .filter((r) => r.explainedBy === undefined && r.verdict.kind !== 'same')
        .map((r) => JSON.stringify({ run: r.index, settings: describeChoice(corpus, cases[r.index]!.settings), input: cases[r.index]!.object, verdict: r.verdict, istio: outcomes[r.index]![0], ours: outcomes[r.index]![1] }));
      writeFileSync(join(outDir, 'differences.jsonl'), lines.length > 0 ? `${lines.join('\n')}\n` : '');
    }
    // Shrink the first case of each kind of finding, most frequent kinds first.
    const sorted = [...findings.entries()].sort((a, b) => b[1].length - a[1].length);
    const report: any[] = [];
    for (const [n, [sig, list]] of sorted.entries()) {
      const first = list[0]!;
      const entry: any = { signature: sig, count: list.length, firstRun: first.index, runs: list.slice(0, 20).map((r) => r.index) };
      if (n < shrinkMax) {
        const details = await fc.check(
          fc.asyncProperty(arbitrary, async (c) => {
            const s = materialise(corpus, c.settings);
            const doc = documentOf(c.object, c.style);
            const [[a], [b]] = await Promise.all([peer.inject(s, [doc]), ours.inject(s, [doc])]);
            await peer.readBack([b!]);
            const { verdict, explainedBy } = judge(c, [a!, b!]);
            return explainedBy !== undefined || !sameFinding(first.verdict, verdict);
          }),
          { seed, numRuns: runs, path: String(first.index) },
        );
        const shrunk = (details.counterexample?.[0] as Case | undefined) ?? cases[first.index]!;
        const s = materialise(corpus, shrunk.settings);
        const doc = documentOf(shrunk.object, shrunk.style);
        const [[a], [b]] = await Promise.all([peer.inject(s, [doc]), ours.inject(s, [doc])]);
        await peer.readBack([b!]);
        const verdict = compare(a!, b!);
        const dir = join(outDir, `finding-${String(n + 1).padStart(2, '0')}`);
        writeCase(dir, corpus, shrunk, s, [a!, b!], verdict);
        entry.shrunk = { dir, settings: describeChoice(corpus, shrunk.settings), shrinks: details.numShrinks, verdict };
      }
      report.push(entry);
    }
    const finished = performance.now();
    const summary = {
      seed,
      runs,
      istioVersion: execFileSync(peerBinary, ['version'], { encoding: 'utf8' }).trim(),
      seconds: { total: +((finished - started) / 1000).toFixed(1), generate: +((generated - started) / 1000).toFixed(1), inject: +((evaluated - generated) / 1000).toFixed(1), shrink: +((finished - evaluated) / 1000).toFixed(1) },
      counts,
      explained: Object.fromEntries(explained),
      paths: Object.fromEntries([...paths.entries()].sort((a, b) => b[1] - a[1])),
      findings: report,
    };
    writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`seed ${seed}, ${runs} runs in ${summary.seconds.total} s (generate ${summary.seconds.generate} s, inject both ${summary.seconds.inject} s, shrink ${summary.seconds.shrink} s)\n`);
    process.stdout.write(`same ${counts.same} (both refused ${counts.bothRefused}; Istio refused ${counts.istioRefused} in all), explained ${counts.explained}, unexplained ${counts.unexplained}\n`);
    for (const [id, n] of explained) process.stdout.write(`  explained by ${id}: ${n}\n`);
    const top = [...paths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
    if (top.length > 0) process.stdout.write(`paths that differ most (runs):\n${top.map(([p, n]) => `  ${String(n).padStart(5)} ${p}`).join('\n')}\n`);
    for (const entry of report) {
      process.stdout.write(`FINDING ${entry.count}x ${entry.signature} (first run ${entry.firstRun})${entry.shrunk ? `\n  shrunk (${entry.shrunk.shrinks} steps): ${entry.shrunk.dir}` : ''}\n`);
    }
    process.stdout.write(`report: ${join(outDir, 'report.json')}\n`);
    return counts.unexplained === 0 ? 0 : 1;
  } finally {
    await peer.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(2);
  },
);
