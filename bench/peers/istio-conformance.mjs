// Runs the conformance corpus through Istio's own injector (the peer) and compares, with the
// corpus' own scorer (score.mjs):
//   1. Istio's `inject` against Istio's goldens: does the peer reproduce the corpus?
//   2. our `kube-inject` against Istio's `inject`: where do we differ from the real thing?
// For 2 the peer's outputs become the goldens of a generated case directory in .cache/.
//
//   npm run peers:conformance [-- --filter REGEX] [-- --verbose]
//
// Needs Go (to build the peer once, see istio-peer.mjs), dist/ (npm run build) and the
// conformance kit beside the repository (../shared/conformance, or CONFORMANCE_DIR).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureIstioPeer } from './istio-peer.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KIT = resolve(process.env.CONFORMANCE_DIR ?? join(ROOT, '../shared/conformance'));
const SCORER = join(KIT, 'score.mjs');
const CASES = join(KIT, 'istio/cases');
const CONFIG_FILES = ['in.yaml', 'values.json', 'mesh.yaml', 'config.yaml'];

const { values: opts } = parseArgs({
  options: { filter: { type: 'string' }, verbose: { type: 'boolean', default: false } },
});

/** Runs score.mjs and returns its parsed JSON report; its text output goes to our stdout. */
function score(title, extraArgs) {
  const report = join(ROOT, '.cache/peers/istio', `score-${Date.now()}.json`);
  const args = [SCORER, '--project', ROOT, '--jobs', '2', '--json', report, ...extraArgs];
  if (opts.filter) args.push('--filter', opts.filter);
  if (opts.verbose) args.push('--verbose');
  process.stdout.write(`\n## ${title}\n`);
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`score.mjs exited with ${run.status}`);
  // The PASS lines are noise here; failures, the summary of paths and the total are what matter.
  process.stdout.write(run.stdout.split('\n').filter((line) => !line.startsWith('PASS')).join('\n'));
  const result = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  return result;
}

/** Writes a case directory whose goldens are the peer's outputs (or its refusals). */
function peerCases(peer, dir) {
  rmSync(dir, { recursive: true, force: true });
  for (const name of readdirSync(CASES).sort()) {
    if (opts.filter && !new RegExp(opts.filter).test(name)) continue;
    const source = join(CASES, name);
    const meta = JSON.parse(readFileSync(join(source, 'case.json'), 'utf8'));
    const target = join(dir, name);
    mkdirSync(target, { recursive: true });
    for (const file of CONFIG_FILES) symlinkSync(join(source, file), join(target, file));
    const run = spawnSync(
      peer,
      ['inject', '-f', join(source, 'in.yaml'), '--valuesFile', join(source, 'values.json'), '--meshConfigFile', join(source, 'mesh.yaml'),
        '--injectConfigFile', join(source, 'config.yaml'), ...meta.flags],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    let expectError = null;
    if (run.status === 0) writeFileSync(join(target, 'want.yaml'), run.stdout);
    else {
      // Where Istio refuses, we must refuse too; the corpus' expected message when it has one,
      // else the first words of Istio's own.
      const message = run.stderr.replace(/^Error: /, '').split('\n')[0];
      expectError = meta.expectError ?? message.slice(0, 60);
    }
    writeFileSync(join(target, 'case.json'), `${JSON.stringify({ ...meta, expectError, source: `istio-peer inject (${meta.source})` }, null, 2)}\n`);
  }
}

try {
  if (!existsSync(SCORER)) throw new Error(`conformance kit not found at ${KIT} (set CONFORMANCE_DIR)`);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run npm run build first');
  const peer = ensureIstioPeer();
  const cmd = `${peer} inject -f {in} --valuesFile {values} --meshConfigFile {mesh} --injectConfigFile {config} {flags}`;
  const goldens = score("Istio's inject against Istio's goldens", ['--cmd', cmd]);
  const dir = join(dirname(peer), 'conformance-cases');
  peerCases(peer, dir);
  const ours = score("our kube-inject against Istio's inject", ['--cases', dir]);
  process.stdout.write('\n## Summary\n');
  process.stdout.write(`Istio's inject reproduces ${goldens.passed} of ${goldens.total} goldens\n`);
  process.stdout.write(`our kube-inject matches Istio's inject on ${ours.passed} of ${ours.total} cases\n`);
  const differ = ours.results.filter((r) => !r.pass).map((r) => r.name);
  if (differ.length > 0) process.stdout.write(`we differ on: ${differ.join(', ')}\n`);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
