/**
 * The control plane's binaries: kube-apiserver, kube-controller-manager, kubectl and etcd from the
 * Go module in ../go/kube, helm from ../go/helm. Built once with the Go toolchain into
 * .cache/cluster/<kubernetes-version>/bin/ and reused while present. Nothing here runs in `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The repository's root. */
export const REPO_ROOT = resolve(here, '..', '..', '..');

/** The releases built, from test/cluster/versions.json. */
export const VERSIONS = JSON.parse(readFileSync(join(here, '..', 'versions.json'), 'utf8')) as { kubernetes: string; helm: string };

/** Where every generated file of the cluster tooling lives (git-ignored). */
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'cluster');

/** Where the binaries of this Kubernetes release are kept. */
export const BIN_DIR = join(CACHE_DIR, VERSIONS.kubernetes, 'bin');

export type BinaryName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'helm';

interface GoModuleBuild {
  dir: string;
  /** binary name -> Go package path */
  packages: Partial<Record<BinaryName, string>>;
  ldflags: string[];
}

function kubernetesLdflags(version: string): string[] {
  // What Kubernetes' own build stamps (hack/lib/version.sh): without it the binaries report
  // v0.0.0-master, kubectl warns about version skew and Helm's kubeVersion checks see a wrong version.
  const [major, minor] = version.replace(/^v/, '').split('.');
  const values: Record<string, string> = { gitVersion: version, gitMajor: major!, gitMinor: minor!, gitTreeState: 'clean' };
  return Object.entries(values).flatMap(([key, value]) =>
    ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version'].map((pkg) => `-X ${pkg}.${key}=${value}`),
  );
}

const MODULES: GoModuleBuild[] = [
  {
    dir: join(here, '..', 'go', 'kube'),
    packages: {
      etcd: 'go.etcd.io/etcd/server/v3',
      'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
      kubectl: 'k8s.io/kubernetes/cmd/kubectl',
    },
    ldflags: kubernetesLdflags(VERSIONS.kubernetes),
  },
  {
    dir: join(here, '..', 'go', 'helm'),
    packages: { helm: 'helm.sh/helm/v4/cmd/helm' },
    ldflags: [`-X helm.sh/helm/v4/internal/version.version=${VERSIONS.helm}`, '-X helm.sh/helm/v4/internal/version.metadata=', '-X helm.sh/helm/v4/internal/version.gitTreeState=clean'],
  },
];

export const ALL_BINARIES: readonly BinaryName[] = MODULES.flatMap((m) => Object.keys(m.packages) as BinaryName[]);

/** The path of one binary (which may not exist yet). */
export function binary(name: BinaryName): string {
  return join(BIN_DIR, name);
}

export function missingBinaries(names: readonly BinaryName[] = ALL_BINARIES): BinaryName[] {
  return names.filter((name) => !existsSync(binary(name)));
}

/** The error users see when a binary is missing and there is no Go to build it. */
export class MissingToolchainError extends Error {
  readonly code = 'CLUSTER_NO_GO';
}

function goVersion(): string | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export interface BuildReport {
  built: BinaryName[];
  /** Seconds spent downloading modules (resolving the packages' imports), per Go module. */
  downloadSeconds: number;
  buildSeconds: number;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}`)),
    );
  });
}

/**
 * Builds the binaries that are missing (all of `names` by default) and returns what it did.
 * Throws MissingToolchainError, with a one-line message naming what to install, when a binary is
 * missing and `go` is not on PATH.
 */
export async function ensureBinaries(names: readonly BinaryName[] = ALL_BINARIES, log: (line: string) => void = () => {}): Promise<BuildReport> {
  const missing = missingBinaries(names);
  const report: BuildReport = { built: [], downloadSeconds: 0, buildSeconds: 0 };
  if (missing.length === 0) return report;
  const version = goVersion();
  if (version === undefined) {
    throw new MissingToolchainError(
      `cannot build ${missing.join(', ')}: the 'go' command was not found; install Go 1.26 or newer and put it on PATH (binaries are then built once into ${BIN_DIR})`,
    );
  }
  mkdirSync(BIN_DIR, { recursive: true });
  // Statically linked, reproducible paths, and at a low priority: the machines are shared.
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') };
  for (const module of MODULES) {
    const wanted = (Object.entries(module.packages) as [BinaryName, string][]).filter(([name]) => missing.includes(name));
    if (wanted.length === 0) continue;
    const packages = wanted.map(([, pkg]) => pkg);
    log(`downloading modules for ${wanted.map(([name]) => name).join(', ')} (${version})`);
    let start = performance.now();
    // `go list -deps` fetches exactly the modules these packages import, no test-only ones.
    await run('go', ['list', '-deps', ...packages], module.dir, env);
    report.downloadSeconds += (performance.now() - start) / 1000;
    start = performance.now();
    for (const [name, pkg] of wanted) {
      log(`building ${name}`);
      // Into a temporary name, then renamed: an interrupted build never leaves a half-written
      // binary that would be taken as present. Packages already compiled for an earlier binary
      // come from Go's build cache.
      const partial = `${binary(name)}.partial`;
      rmSync(partial, { force: true });
      await run('nice', ['-n', '10', 'go', 'build', '-trimpath', '-ldflags', ['-s', '-w', ...module.ldflags].join(' '), '-o', partial, pkg], module.dir, env);
      renameSync(partial, binary(name));
      report.built.push(name);
    }
    report.buildSeconds += (performance.now() - start) / 1000;
  }
  return report;
}
