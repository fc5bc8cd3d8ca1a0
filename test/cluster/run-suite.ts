/**
 * `npm run test:cluster`: the suite against a real control plane. Starts one fresh control plane
 * and our webhook (registered like `npm run cluster` does) for the whole suite, runs every
 * test/cluster/**\/*.test.ts (or the files and directories given) with node:test, one file at a
 * time since they share the cluster, then stops everything. Test files reach the cluster through
 * ./support.ts. Builds the binaries first when they are missing (Go needed).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_BINARIES, ensureBinaries, MissingToolchainError, REPO_ROOT } from './lib/binaries.js';
import { startControlPlane, type ControlPlane } from './lib/control-plane.js';
import { startInjector, type Injector } from './lib/injector.js';
import { SUITE_ENV, type SuiteState } from './support.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const log = (line: string) => process.stderr.write(`cluster: ${line}\n`);

function collect(path: string, out: string[]): string[] {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      // go/ holds Go modules (and, once built, nothing of ours).
      if (entry !== 'go' && entry !== 'node_modules') collect(join(path, entry), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [here];
const files = roots.flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}

let cp: ControlPlane | undefined;
let injector: Injector | undefined;
let child: ReturnType<typeof spawn> | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    child?.kill('SIGTERM');
    await injector?.stop();
    await cp?.stop();
  })());

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  });
}

const suiteStart = performance.now();
let status: number;
try {
  // All of them, helm included, so that a fresh machine pays the whole build here, once.
  const build = await ensureBinaries(ALL_BINARIES, log);
  if (build.built.length > 0) log(`built ${build.built.join(', ')}: modules ${build.downloadSeconds.toFixed(0)} s, compilation ${build.buildSeconds.toFixed(0)} s`);
  cp = await startControlPlane({
    log,
    onUnexpectedExit: (name, description, tail) => {
      log(`${name} stopped unexpectedly (${description}):\n${tail}`);
      child?.kill('SIGTERM');
    },
  });
  injector = await startInjector(cp);
  const state: SuiteState = {
    dir: cp.dir,
    injector: { port: injector.port, namespace: injector.namespace, service: injector.service, configurationName: injector.configurationName, logFile: injector.logFile },
  };
  const stateFile = join(cp.dir, 'suite.json');
  writeFileSync(stateFile, JSON.stringify(state));
  log(`control plane: /readyz after ${cp.timings.readySeconds.toFixed(1)} s, default ServiceAccount after ${cp.timings.serviceAccountSeconds.toFixed(1)} s; injector on port ${injector.port}`);

  const testStart = performance.now();
  status = await new Promise<number>((resolve) => {
    child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files.map((f) => relative(REPO_ROOT, f))], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, [SUITE_ENV]: stateFile },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
  log(`tests ${((performance.now() - testStart) / 1000).toFixed(1)} s, suite with control plane ${((performance.now() - suiteStart) / 1000).toFixed(1)} s`);
} catch (err) {
  log(`error: ${err instanceof MissingToolchainError ? err.message : (err as Error).stack ?? err}`);
  status = 1;
} finally {
  await cleanup();
}
process.exit(status);
