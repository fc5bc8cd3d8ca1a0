/**
 * Runs one case through both injectors and prints the differences: a finding's directory as the
 * fuzzer writes it (in.yaml, values.json, mesh.yaml, config.yaml, case.json), or any manifest with
 * the baseline settings of the corpus.
 *
 *   npm run fuzz:istio:replay -- DIR                  a finding
 *   npm run fuzz:istio:replay -- FILE.yaml [--native-sidecars true|false]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { compare } from './compare.js';
import { explain } from './divergences.js';
import { IstioPeer, OurInjector } from './injectors.js';
import { BASELINE_CASE, type Settings } from './settings.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KIT = resolve(process.env.CONFORMANCE_DIR ?? join(ROOT, '../shared/conformance'));

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { 'native-sidecars': { type: 'string' }, outputs: { type: 'boolean', default: false } } });
const target = positionals[0];
if (target === undefined) {
  process.stderr.write('usage: npm run fuzz:istio:replay -- DIR|FILE.yaml [--native-sidecars true|false] [--outputs]\n');
  process.exit(2);
}
const isDir = statSync(target).isDirectory();
const settingsDir = isDir ? target : join(KIT, 'istio/cases', BASELINE_CASE);
const flags: string[] = isDir && existsSync(join(target, 'case.json')) ? JSON.parse(readFileSync(join(target, 'case.json'), 'utf8')).flags : [];
const native = opts['native-sidecars'] ?? flags[flags.indexOf('--native-sidecars') + 1] ?? 'false';
const settings: Settings = {
  values: readFileSync(join(settingsDir, 'values.json'), 'utf8'),
  mesh: readFileSync(join(settingsDir, 'mesh.yaml'), 'utf8'),
  config: readFileSync(join(settingsDir, 'config.yaml'), 'utf8'),
  nativeSidecars: native === 'true',
};
const text = readFileSync(isDir ? join(target, 'in.yaml') : target, 'utf8');
const documents = parseAllDocuments(text).map((d) => String(d));

const peer = new IstioPeer(execFileSync(process.execPath, [join(ROOT, 'bench/peers/istio-peer.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim());
try {
  const ours = new OurInjector(join(ROOT, '.cache/fuzz-istio/settings'));
  const [a, b] = await Promise.all([peer.inject(settings, documents), ours.inject(settings, documents)]);
  await peer.readBack(b);
  documents.forEach((_, i) => {
    const verdict = compare(a[i]!, b[i]!);
    const explainedBy = verdict.kind === 'same' ? undefined : explain(parseAllDocuments(documents[i]!)[0]!.toJS() ?? {}, a[i]!, b[i]!, verdict);
    process.stdout.write(`document ${i + 1}: ${verdict.kind}${explainedBy === undefined ? '' : ` (explained by ${explainedBy})`}\n`);
    if (opts.outputs) {
      process.stdout.write(`--- istio\n${'error' in a[i]! ? `ERROR: ${(a[i] as { error: string }).error}\n` : (a[i] as { output: string }).output}`);
      process.stdout.write(`--- ours\n${'error' in b[i]! ? `ERROR: ${(b[i] as { error: string }).error}\n` : (b[i] as { output: string }).output}`);
    }
    if (verdict.kind === 'output') for (const d of verdict.differences) process.stdout.write(`  ${d.path}\n    istio: ${JSON.stringify(d.istio)}\n    ours:  ${JSON.stringify(d.ours)}\n`);
    else if (verdict.kind !== 'same') process.stdout.write(`  ${JSON.stringify(verdict)}\n`);
  });
} finally {
  await peer.close();
}
