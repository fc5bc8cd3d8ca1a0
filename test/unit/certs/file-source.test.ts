/**
 * The certificate file source as Kubernetes feeds it: a Secret volume whose files are symlinks
 * into a `..data` directory that is swapped atomically, and writers that are sometimes caught
 * half-way.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { checkPair, FileCertificateSource } from '../../../src/certs/file-source.js';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';

/** A logger whose JSON lines are kept for assertions. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Publishes a pair the way the kubelet updates a Secret volume: a new timestamped directory, then `..data` swapped by rename. */
async function publish(volume: string, generation: number, pair: KeyPair): Promise<void> {
  const dir = `..gen_${generation}`;
  await mkdir(join(volume, dir));
  await writeFile(join(volume, dir, 'tls.crt'), pair.cert);
  await writeFile(join(volume, dir, 'tls.key'), pair.key);
  await symlink(dir, join(volume, '..data_tmp'));
  await rename(join(volume, '..data_tmp'), join(volume, '..data'));
  if (generation > 1) await rm(join(volume, `..gen_${generation - 1}`), { recursive: true });
}

async function secretVolume(first: KeyPair): Promise<string> {
  const volume = await mkdtemp(join(tmpdir(), 'secret-volume-'));
  await publish(volume, 1, first);
  await symlink(join('..data', 'tls.crt'), join(volume, 'tls.crt'));
  await symlink(join('..data', 'tls.key'), join(volume, 'tls.key'));
  return volume;
}

describe('FileCertificateSource', () => {
  it('follows a Secret volume whose ..data symlink is swapped, and reports each rotation once', async () => {
    const ca = await generateCa();
    const first = await generateServingCert(ca, { sans: ['localhost'] });
    const volume = await secretVolume(first);
    const changes: Array<{ cert: string; rotated: boolean }> = [];
    const { logger } = capturingLogger();
    const source = new FileCertificateSource({
      certFile: join(volume, 'tls.crt'),
      keyFile: join(volume, 'tls.key'),
      logger,
      intervalMs: 3_600_000,
      onChange: (pair, rotated) => changes.push({ cert: pair.cert.toString(), rotated }),
    });
    await source.start();
    try {
      assert.equal(source.get()?.cert.toString(), first.cert);
      assert.equal(source.healthy(), true);
      assert.equal(source.problem(), undefined);

      const second = await generateServingCert(ca, { sans: ['localhost'] });
      await publish(volume, 2, second);
      await source.poll();
      await source.poll(); // unchanged bytes: no second notification
      assert.equal(source.get()?.cert.toString(), second.cert);
      assert.deepEqual(changes, [
        { cert: first.cert, rotated: false },
        { cert: second.cert, rotated: true },
      ]);
    } finally {
      source.stop();
    }
  });

  it('retries a half-written pair on the next poll instead of swapping it in, and logs the problem once', async () => {
    const ca = await generateCa();
    const first = await generateServingCert(ca, { sans: ['localhost'] });
    const second = await generateServingCert(ca, { sans: ['localhost'] });
    const dir = await mkdtemp(join(tmpdir(), 'half-written-'));
    await writeFile(join(dir, 'tls.crt'), first.cert);
    await writeFile(join(dir, 'tls.key'), first.key);
    const { logger, lines } = capturingLogger();
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger, intervalMs: 3_600_000 });
    await source.start();
    try {
      // A writer that replaced the certificate but not yet the key.
      await writeFile(join(dir, 'tls.crt'), second.cert);
      await source.poll();
      await source.poll();
      assert.equal(source.get()?.cert.toString(), first.cert, 'the previous pair keeps serving');
      assert.equal(source.healthy(), true);
      const errors = lines.filter((l) => l.msg === 'serving certificate not loaded; keeping the current one');
      assert.equal(errors.length, 1, 'the same problem is logged once');
      assert.equal(errors[0]!.problem, 'the key does not belong to the certificate');

      // A truncated certificate is refused too.
      await writeFile(join(dir, 'tls.crt'), second.cert.slice(0, 100));
      await writeFile(join(dir, 'tls.key'), second.key);
      await source.poll();
      assert.equal(source.get()?.cert.toString(), first.cert);

      // The writer finishes: the next poll takes the new pair.
      await writeFile(join(dir, 'tls.crt'), second.cert);
      await source.poll();
      assert.equal(source.get()?.cert.toString(), second.cert);
    } finally {
      source.stop();
    }
  });

  it('warns ahead of expiry, with the days left', async () => {
    const ca = await generateCa();
    const short = await generateServingCert(ca, { sans: ['localhost'], days: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'expiring-'));
    await writeFile(join(dir, 'tls.crt'), short.cert);
    await writeFile(join(dir, 'tls.key'), short.key);
    const { logger, lines } = capturingLogger();
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger, intervalMs: 3_600_000, warnBeforeMs: 7 * 86_400_000 });
    await source.start();
    source.stop();
    const warnings = lines.filter((l) => l.msg === 'serving certificate expires soon');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.daysLeft, 1);
  });

  it('does not warn about a certificate far from expiry', async () => {
    const ca = await generateCa();
    const long = await generateServingCert(ca, { sans: ['localhost'], days: 365 });
    const dir = await mkdtemp(join(tmpdir(), 'long-'));
    await writeFile(join(dir, 'tls.crt'), long.cert);
    await writeFile(join(dir, 'tls.key'), long.key);
    const { logger, lines } = capturingLogger();
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger, intervalMs: 3_600_000 });
    await source.start();
    source.stop();
    assert.equal(lines.filter((l) => l.msg === 'serving certificate expires soon').length, 0);
  });
});

describe('checkPair', () => {
  it('accepts a matching pair and returns its expiry', async () => {
    const ca = await generateCa();
    const leaf = await generateServingCert(ca, { sans: ['localhost'], days: 10 });
    const pair = checkPair(Buffer.from(leaf.cert), Buffer.from(leaf.key));
    const days = (pair.notAfter.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 9.9 && days <= 10, `expires in ${days} days`);
  });

  it('refuses an expired certificate, naming the date', async () => {
    const ca = await generateCa();
    const leaf = await generateServingCert(ca, { sans: ['localhost'], days: 1 });
    const later = new Date(Date.now() + 2 * 86_400_000);
    assert.throws(() => checkPair(Buffer.from(leaf.cert), Buffer.from(leaf.key), later), /the certificate expired on \d{4}-\d\d-\d\dT/);
  });

  it('refuses something that is not PEM, and a key that is not a key', async () => {
    const ca = await generateCa();
    const leaf = await generateServingCert(ca, { sans: ['localhost'] });
    assert.throws(() => checkPair(Buffer.from('not a certificate'), Buffer.from(leaf.key)), /the certificate is not valid PEM/);
    assert.throws(() => checkPair(Buffer.from(leaf.cert), Buffer.from(leaf.cert)), /the key is not a valid PEM private key/);
  });
});
