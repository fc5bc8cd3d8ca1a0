/**
 * Running for months: certificate rotation under load, readiness without a certificate,
 * configuration hot reload, metrics, the certs command, and SIGTERM with a review in flight.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { FileCertificateSource } from '../../src/certs/file-source.js';
import { generateCa, generateServingCert } from '../../src/certs/generate.js';
import { defaultConfig } from '../../src/config/index.js';
import { ConfigWatcher } from '../../src/config/watch.js';
import { createMetrics, startMonitoringServer } from '../../src/observability/metrics.js';
import { startServer } from '../../src/server/listen.js';
import { reviewFixtureText } from '../support/fixtures.js';
import { httpsRequest } from '../support/https-client.js';

const silent = pino({ level: 'silent' });

/** Writes a pair the way a Secret volume does: new files, then one rename. */
async function writePair(dir: string, pair: { cert: string; key: string }): Promise<void> {
  await writeFile(join(dir, 'tls.crt.tmp'), pair.cert);
  await writeFile(join(dir, 'tls.key.tmp'), pair.key);
  await rename(join(dir, 'tls.key.tmp'), join(dir, 'tls.key'));
  await rename(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
}

/** One review on a new connection; resolves with the served certificate's fingerprint. */
function reviewOnce(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, servername: 'localhost', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(fingerprint) : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(reviewFixtureText('pod-plain'));
  });
}

describe('certificate rotation', () => {
  it('swaps certificates under load without a single failed request, also across a CA change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotation-'));
    const oldCa = await generateCa();
    const newCa = await generateCa();
    const first = await generateServingCert(oldCa, { sans: ['localhost'] });
    await writePair(dir, first);
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger: silent, intervalMs: 3_600_000 });
    await source.start();
    const server = await startServer({ host: '127.0.0.1', port: 0, tls: source.get()!, getConfig: defaultConfig, logger: silent, readiness: () => [] });
    const sourceWithSwap = new FileCertificateSource({
      certFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
      logger: silent,
      intervalMs: 3_600_000,
      onChange: (pair) => server.setSecureContext(pair),
    });
    await sourceWithSwap.start();
    // During a CA change the webhook configuration's caBundle holds both CAs.
    const bundle = [oldCa.cert, newCa.cert];
    let sent = 0;
    let failed = 0;
    const seen = new Set<string>();
    let running = true;
    const workers = Array.from({ length: 8 }, async () => {
      while (running) {
        sent++;
        try {
          seen.add(await reviewOnce(server.port, bundle));
        } catch (err) {
          failed++;
          if (failed === 1) process.stderr.write(`first failure: ${(err as Error).message}\n`);
        }
      }
    });
    try {
      for (const ca of [oldCa, newCa, newCa]) {
        await new Promise((r) => setTimeout(r, 300));
        await writePair(dir, await generateServingCert(ca, { sans: ['localhost'] }));
        await sourceWithSwap.poll();
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      running = false;
      await Promise.all(workers);
      sourceWithSwap.stop();
      source.stop();
      await server.close();
    }
    process.stderr.write(`rotation under load: ${sent} requests sent, ${failed} failed, ${seen.size} certificates served\n`);
    assert.equal(failed, 0);
    assert.equal(seen.size, 4, 'each of the four certificates was served');
  });

  it('keeps the current certificate when the files hold a broken or mismatched pair, and is not ready without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'badcert-'));
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger: silent, intervalMs: 3_600_000 });
    await source.start();
    assert.equal(source.healthy(), false);
    assert.match(source.problem()!, /no valid serving certificate .*ENOENT/);
    const ca = await generateCa();
    const good = await generateServingCert(ca, { sans: ['localhost'] });
    await writePair(dir, good);
    await source.poll();
    assert.equal(source.healthy(), true);
    const other = await generateServingCert(ca, { sans: ['localhost'] });
    await writePair(dir, { cert: other.cert, key: good.key });
    await source.poll();
    assert.equal(source.get()!.cert.toString(), good.cert, 'the mismatched pair was not swapped in');
    source.stop();
  });
});

describe('readiness', () => {
  it('/readyz is 503 with the reason until a certificate loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ready-'));
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger: silent, intervalMs: 3_600_000 });
    await source.start();
    const placeholderCa = await generateCa();
    const placeholder = await generateServingCert(placeholderCa, { sans: ['localhost'] });
    const server = await startServer({ host: '127.0.0.1', port: 0, tls: placeholder, getConfig: defaultConfig, logger: silent, readiness: () => [source.problem()].filter((p): p is string => p !== undefined) });
    try {
      const before = await httpsRequest(`https://localhost:${server.port}/readyz`, { ca: placeholderCa.cert });
      assert.equal(before.status, 503);
      assert.match(before.body, /no valid serving certificate/);
      const ca = await generateCa();
      await writePair(dir, await generateServingCert(ca, { sans: ['localhost'] }));
      await source.poll();
      const after = await httpsRequest(`https://localhost:${server.port}/readyz`, { ca: placeholderCa.cert });
      assert.equal(after.status, 200);
    } finally {
      source.stop();
      await server.close();
    }
  });
});

describe('configuration hot reload', () => {
  it('applies a valid change, rejects an invalid one and keeps serving the last good configuration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reload-'));
    const values = join(dir, 'values');
    await writeFile(values, JSON.stringify({ global: { tag: '1.0.0' } }));
    const results: boolean[] = [];
    const watcher = new ConfigWatcher({ dir }, { logger: silent, intervalMs: 3_600_000, onReload: (ok) => results.push(ok) });
    await watcher.start();
    assert.equal(watcher.get().values.global.tag, '1.0.0');
    await writeFile(values, JSON.stringify({ global: { tag: '2.0.0' } }));
    await watcher.poll();
    assert.equal(watcher.get().values.global.tag, '2.0.0');
    await writeFile(values, JSON.stringify({ global: { proxy: { statusPort: 'nope' } } }));
    await watcher.poll();
    assert.equal(watcher.get().values.global.tag, '2.0.0');
    await watcher.poll();
    assert.deepEqual(results, [true, false], 'an unchanged file is not reloaded twice');
    watcher.stop();
  });
});

describe('metrics', () => {
  it('counts reviews with Istio names on the monitoring port', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const ca = await generateCa();
    const server = await startServer({ host: '127.0.0.1', port: 0, tls: await generateServingCert(ca, { sans: ['localhost'] }), getConfig: defaultConfig, logger: silent, onReview: (o) => metrics.observeReview(o) });
    const monitoring = await startMonitoringServer(metrics, '127.0.0.1', 0);
    try {
      for (const fixture of ['pod-plain', 'pod-opted-out', 'pod-bad-annotation']) {
        await httpsRequest(`https://localhost:${server.port}/inject`, { ca: ca.cert, method: 'POST', body: reviewFixtureText(fixture), headers: { 'content-type': 'application/json' } });
      }
      metrics.observeConfigReload(false);
      const text = await fetch(`http://127.0.0.1:${monitoring.port}/metrics`).then((r) => r.text());
      assert.match(text, /^sidecar_injection_requests_total 3$/m);
      assert.match(text, /^sidecar_injection_success_total 1$/m);
      assert.match(text, /^sidecar_injection_skip_total\{reason="label-opt-out"\} 1$/m);
      assert.match(text, /^sidecar_injection_failure_total\{reason="invalid-annotation"\} 1$/m);
      assert.match(text, /^sidecar_injection_time_seconds_bucket\{le="0.005"\} \d+$/m);
      assert.match(text, /^sidecar_injector_config_reloads_total\{result="failure"\} 1$/m);
    } finally {
      monitoring.server.close();
      await server.close();
    }
  });
});

describe('sidecar-injector certs', () => {
  it('writes a CA and a serving certificate for the service with private keys 0600, and prints the caBundle', async () => {
    const out = await mkdtemp(join(tmpdir(), 'certs-cmd-'));
    const run = spawnSync(process.execPath, ['dist/cli.js', 'certs', '--out', out, '--service', 'inj', '--namespace', 'mesh', '--san', '10.0.0.1', '--days', '30'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const leaf = new X509Certificate(await readFile(join(out, 'tls.crt')));
    assert.equal(leaf.subjectAltName, 'DNS:inj, DNS:inj.mesh, DNS:inj.mesh.svc, DNS:inj.mesh.svc.cluster.local, IP Address:10.0.0.1');
    assert.equal(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000), 30);
    assert.equal((await stat(join(out, 'tls.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(out, 'ca.key'))).mode & 0o777, 0o600);
    assert.equal(Buffer.from(run.stdout.trim(), 'base64').toString(), await readFile(join(out, 'ca.crt'), 'utf8'));
  });
});

describe('graceful shutdown', () => {
  it('finishes a review in flight when SIGTERM arrives, then exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigterm-'));
    const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--monitoring-port', '0', '--shutdown-delay-seconds', '1', '--certs-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const port = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error(buffer)), 10_000);
      child.stdout.on('data', (c: Buffer) => {
        buffer += c.toString();
        const line = buffer.split('\n').find((l) => l.includes('"listening"') && l.includes('"port"'));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(JSON.parse(line).port);
        }
      });
    });
    const ca = await readFile(join(dir, 'ca.crt'));
    const body = reviewFixtureText('pod-plain');
    const answer = new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      // Half the body now; SIGTERM; the rest later: the review is in flight during the signal.
      req.write(body.slice(0, 100));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(100)), 300);
      }, 200);
    });
    assert.equal(await answer, 200);
    assert.equal(await exited, 0);
  });
});
