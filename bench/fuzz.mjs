#!/usr/bin/env node
// The fuzz suite of `npm test`, long: many more runs, a fresh seed each time (printed, so a
// failure can be replayed with FUZZ_SEED=... FUZZ_RUNS=... node scripts/run-tests.mjs test/fuzz).
// Strict by default: a valid pod answered with our internal-error denial fails the run (npm test
// only requires that answer to be one the apiserver accepts; --lenient does the same here).
// Usage: node bench/fuzz.mjs [--runs N (default 2000)] [--seed S (default random)] [--lenient]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' }, lenient: { type: 'boolean', default: false } } });
const seed = opts.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const files = readdirSync('test/fuzz').filter((f) => f.endsWith('.test.ts')).map((f) => join('test/fuzz', f));
console.error(`fuzzing with FUZZ_SEED=${seed} FUZZ_RUNS=${opts.runs} FUZZ_STRICT=${opts.lenient ? 0 : 1}`);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=3600000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: opts.runs, FUZZ_STRICT: opts.lenient ? '0' : '1' },
  timeout: 3 * 3600 * 1000,
});
console.error(`seed ${seed}, runs ${opts.runs}: ${result.status === 0 ? 'passed' : 'FAILED'}`);
process.exit(result.status ?? 1);
