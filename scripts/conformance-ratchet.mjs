#!/usr/bin/env node
// Runs Istio's injection conformance kit (../shared/conformance) against dist/ and fails when
// fewer cases pass than conformance-floor.json records. Skips, saying so, when the kit is absent.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const score = join('..', 'shared', 'conformance', 'score.mjs');
if (!existsSync(score)) {
  console.log(`conformance: ${score} not found; ratchet skipped`);
  process.exit(0);
}
const floor = JSON.parse(readFileSync('conformance-floor.json', 'utf8')).passed;
const report = join(mkdtempSync(join(tmpdir(), 'conformance-')), 'report.json');
// The scorer's own summary line looks like a test-runner verdict; print only the failing cases.
const run = spawnSync(process.execPath, [score, '--project', '.', '--json', report], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (run.status !== 0) {
  console.error(`conformance: the scorer failed (exit ${run.status})\n${run.stdout}`);
  process.exit(1);
}
for (const line of run.stdout.split('\n')) if (line.startsWith('FAIL')) console.log(`conformance: ${line}`);
const { passed, total } = JSON.parse(readFileSync(report, 'utf8'));
if (passed < floor) {
  console.error(`conformance: ${passed}/${total} cases pass, below the floor of ${floor} in conformance-floor.json`);
  process.exit(1);
}
console.log(`conformance: ${passed}/${total} cases pass (floor ${floor})`);
