#!/usr/bin/env node
// Runs every *.test.ts under test/ with node:test through tsx. Node 20 does not expand globs
// itself, so the files are listed here. Pass directories or files to narrow the run:
//   node scripts/run-tests.mjs test/unit
// test/cluster/ is left out: it needs a real control plane and Go (npm run test:cluster).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CLUSTER_SUITE = join('test', 'cluster');

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    if (path === CLUSTER_SUITE) return out;
    for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = roots.flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
