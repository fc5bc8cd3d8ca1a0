/** The built CLI as users run it: `kube-inject` over stdin and `serve` with a graceful stop. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reviewFixtureText } from '../support/fixtures.js';
import { httpsRequest } from '../support/https-client.js';

const CLI = 'dist/cli.js';

describe('sidecar-injector CLI', () => {
  it('kube-inject reads stdin and writes injected YAML', () => {
    const input = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: busybox\n';
    const run = spawnSync(process.execPath, [CLI, 'kube-inject', '-f', '-'], { input, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /name: istio-proxy/);
    assert.match(run.stdout, /- istio-iptables/);
  });

  it('kube-inject exits non-zero with the reason on a bad annotation', () => {
    const input = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    traffic.sidecar.istio.io/excludeInboundPorts: "*"\nspec:\n  containers:\n  - name: app\n';
    const run = spawnSync(process.execPath, [CLI, 'kube-inject', '-f', '-'], { input, encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /INVALID_ANNOTATION.*excludeInboundPorts/);
  });

  it('an unknown command prints the usage and exits 2', () => {
    const run = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /unknown command 'frobnicate'/);
  });

  it('serve creates dev certificates, answers reviews (each under the watchdog here), and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serve-'));
    const flags = ['--port', '0', '--monitoring-port', '0', '--shutdown-delay-seconds', '0', '--certs-dir', dir, '--log-level', 'info', '--review-budget-share', '0.25', '--review-watchdog-bytes', '0'];
    const child = spawn(process.execPath, [CLI, 'serve', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error(`no 'listening' log line: ${buffer}`)), 10_000);
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (const line of buffer.split('\n')) {
            if (!line.includes('"listening"')) continue;
            clearTimeout(timer);
            resolve(JSON.parse(line).url);
          }
        });
      });
      const ca = await readFile(join(dir, 'ca.crt'));
      const res = await httpsRequest(`${url}/inject?timeout=10s`, { ca, method: 'POST', body: reviewFixtureText('pod-plain'), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
      const patch = JSON.parse(Buffer.from(JSON.parse(res.body).response.patch, 'base64').toString());
      assert.ok(patch.some((op: any) => op.path === '/spec/initContainers'));
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});

describe('sidecar-injector CLI usage errors', () => {
  it('an unknown flag is a usage error with exit status 2', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--prot', '1'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /error \[USAGE\]: Unknown option '--prot'/);
  });

  it('a review budget share outside (0, 1] and a watchdog size that is not a number are refused', () => {
    for (const [flag, value] of [['--review-budget-share', '0'], ['--review-budget-share', '1.5'], ['--review-budget-share', 'half'], ['--review-watchdog-bytes', 'lots']]) {
      const run = spawnSync(process.execPath, [CLI, 'serve', flag!, value!], { encoding: 'utf8' });
      assert.equal(run.status, 2, `${flag} ${value}`);
      assert.match(run.stderr, new RegExp(`invalid value '${value}' for ${flag}`));
    }
  });

  it('an invalid port is refused before anything starts', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--port', '99999'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /invalid value '99999' for --port/);
  });

  it('a Lease shorter than 3 seconds is refused: its holder renews every third of it', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--manage-ca-bundle', '--lease-duration-seconds', '2'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /invalid value '2' for --lease-duration-seconds: expected an integer from 3 to 3600/);
  });
});
