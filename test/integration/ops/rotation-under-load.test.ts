/**
 * Certificate rotation under load: reviews keep flowing on new and kept-alive connections while
 * the serving certificate is replaced several times, across a CA change, and not one fails.
 * Rotations are paced by completed requests, not by the clock, so a busy machine slows the test
 * down but cannot make it skip a rotation.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { FileCertificateSource } from '../../../src/certs/file-source.js';
import { generateCa, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';
import { defaultConfig } from '../../../src/config/index.js';
import { startServer } from '../../../src/server/listen.js';
import { reviewFixtureText } from '../../support/fixtures.js';

const silent = pino({ level: 'silent' });
const TOTAL = 200;
const WORKERS = 8;
const ROTATE_EVERY = 35;
const DEADLINE_MS = 30_000;
/** Reviews still sent once the last certificate is in place, so a slow last rotation is seen too. */
const AFTER_LAST = 16;

async function writePair(dir: string, pair: KeyPair): Promise<void> {
  await writeFile(join(dir, 'tls.key.tmp'), pair.key);
  await writeFile(join(dir, 'tls.crt.tmp'), pair.cert);
  await rename(join(dir, 'tls.key.tmp'), join(dir, 'tls.key'));
  await rename(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
}

/** One review; resolves with the fingerprint of the certificate the connection was served. */
function review(port: number, ca: string[], agent: Agent | false, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, servername: 'localhost', agent, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as { response?: { allowed?: boolean; patch?: string } };
          if (answer.response?.allowed !== true || typeof answer.response.patch !== 'string') return reject(new Error('not an injected answer'));
          resolve(fingerprint);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('certificate rotation under load', () => {
  it(`answers ${TOTAL} reviews across four rotations and a CA change without one failure`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotation-load-'));
    const oldCa = await generateCa();
    const newCa = await generateCa();
    // Prepared up front so that a rotation costs a file write, not a key generation.
    const pairs = await Promise.all([oldCa, oldCa, newCa, newCa, newCa].map((ca) => generateServingCert(ca, { sans: ['localhost'] })));
    await writePair(dir, pairs[0]!);
    const swap: { to?: (pair: { cert: Buffer; key: Buffer }) => void } = {};
    const source = new FileCertificateSource({ certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), logger: silent, intervalMs: 3_600_000, onChange: (pair) => swap.to?.(pair) });
    await source.start();
    const server = await startServer({ host: '127.0.0.1', port: 0, tls: source.get()!, getConfig: defaultConfig, logger: silent, readiness: () => [] });
    swap.to = (pair) => server.setSecureContext({ cert: pair.cert, key: pair.key });

    const body = reviewFixtureText('pod-plain');
    // While the CA changes, the caBundle holds both CAs (serve --manage-ca-bundle does that).
    const bundle = [oldCa.cert, newCa.cert];
    // Half the workers open a new connection per review (they see each new certificate); the other
    // half keep one connection alive across rotations (it must keep working on the old one).
    const keepAlive = new Agent({ keepAlive: true, maxSockets: WORKERS / 2 });
    const deadline = Date.now() + DEADLINE_MS;
    let sent = 0;
    let done = 0;
    let failed = 0;
    let rotations = 0;
    let applied = 0;
    let sentAfterLast = 0;
    let rotating: Promise<void> = Promise.resolve();
    const firstFailures: string[] = [];
    const served = new Set<string>();
    const rotateWhenDue = () => {
      const due = Math.min(Math.floor(done / ROTATE_EVERY), pairs.length - 1);
      while (rotations < due) {
        rotations++;
        const next = pairs[rotations]!;
        rotating = rotating.then(async () => {
          await writePair(dir, next);
          await source.poll();
          applied++;
        });
      }
    };
    // At least TOTAL reviews, and the run goes on until the last certificate has been installed and
    // AFTER_LAST reviews were sent with it: on a busy machine the last rotation's file write and
    // poll may still be under way when the TOTAL-th review is answered.
    const moreToSend = () => sent < TOTAL || applied < pairs.length - 1 || sentAfterLast < AFTER_LAST;
    const worker = async (agent: Agent | false) => {
      while (moreToSend() && Date.now() < deadline) {
        sent++;
        if (applied === pairs.length - 1) sentAfterLast++;
        try {
          served.add(await review(server.port, bundle, agent, body));
        } catch (err) {
          failed++;
          if (firstFailures.length < 3) firstFailures.push((err as Error).message);
        }
        done++;
        rotateWhenDue();
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i % 2 === 0 ? false : keepAlive)));
      await rotating;
    } finally {
      keepAlive.destroy();
      source.stop();
      await server.close();
    }
    process.stderr.write(`rotation under load: ${sent} requests sent, ${failed} failed, ${rotations} rotations (one across a CA change), ${served.size} certificates served\n`);
    assert.deepEqual(firstFailures, []);
    assert.equal(failed, 0);
    assert.ok(sent >= TOTAL && sentAfterLast >= AFTER_LAST, `only ${sent} requests (${sentAfterLast} after the last rotation) were sent before the deadline`);
    assert.equal(rotations, pairs.length - 1);
    assert.equal(served.size, pairs.length, 'every certificate was served to some connection');
  });
});
