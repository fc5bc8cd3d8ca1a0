// Builds (once) and locates the Istio peer: bench/peers/istio, a small Go program around Istio's own
// injector (istio.io/istio/pkg/kube/inject). The binary goes to
// .cache/peers/istio/<version>-<source hash>/ and is reused while the pinned Istio version and the
// program's own sources stay the same. Needs Go; nothing in `npm test` uses it.
//
//   node bench/peers/istio-peer.mjs            build if missing, print the binary's path
//   node bench/peers/istio-peer.mjs --force    rebuild
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PEER_SOURCE = join(ROOT, 'bench/peers/istio');

/** The istio.io/istio version pinned in bench/peers/istio/go.mod. */
export function istioVersion() {
  const gomod = readFileSync(join(PEER_SOURCE, 'go.mod'), 'utf8');
  const match = /^\s*istio\.io\/istio\s+(\S+)/m.exec(gomod);
  if (!match) throw new Error('bench/peers/istio/go.mod does not require istio.io/istio');
  return match[1];
}

/** A short hash of the peer's sources (Go files, go.mod, go.sum): a change means a rebuild. */
function sourceHash() {
  const hash = createHash('sha256');
  for (const file of readdirSync(PEER_SOURCE).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f)).sort()) {
    hash.update(file).update('\0').update(readFileSync(join(PEER_SOURCE, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** Where the binary of the pinned version and the current sources lives. */
export function istioPeerPath() {
  return join(ROOT, '.cache/peers/istio', `${istioVersion()}-${sourceHash()}`, 'istio-peer');
}

function go(args, options = {}) {
  return execFileSync('go', args, { cwd: PEER_SOURCE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

/**
 * Returns the path of the peer binary, building it first when it is missing (or `force`).
 * Building downloads Istio's module and its dependencies through the Go module proxy the first
 * time, then compiles at low priority (`nice`): several minutes on two cores.
 */
export function ensureIstioPeer({ force = false, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const binary = istioPeerPath();
  if (!force && existsSync(binary)) return binary;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('building the Istio peer needs Go (the go command was not found); see the README, section Benchmarks');
  }
  const version = istioVersion();
  let started = Date.now();
  // Also downloads the module (and, for the build below, its dependencies) when not cached yet.
  const istioDir = go(['list', '-m', '-f', '{{.Dir}}', 'istio.io/istio']).trim();
  go(['mod', 'download']);
  log(`istio peer: module istio.io/istio@${version} and dependencies ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.partial`;
  started = Date.now();
  // The charts and profiles are read at run time from Istio's module (its manifests directory).
  const ldflags = `-X main.manifestsDir=${join(istioDir, 'manifests')}`;
  const build = spawnSync('nice', ['-n', '10', 'go', 'build', '-buildvcs=false', '-ldflags', ldflags, '-o', partial, '.'], {
    cwd: PEER_SOURCE,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error(`go build of the Istio peer failed (exit ${build.status ?? build.signal})`);
  renameSync(partial, binary);
  log(`istio peer: built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensureIstioPeer({ force: process.argv.includes('--force') })}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
