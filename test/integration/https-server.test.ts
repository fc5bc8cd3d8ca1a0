import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ensureDevCertificates } from '../../src/certs/dev.js';
import { generateCa } from '../../src/certs/generate.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { FAKE_CONFIG, fakeEngine } from '../support/fake-engine.js';
import { reviewFixtureText } from '../support/fixtures.js';
import { httpsRequest } from '../support/https-client.js';

describe('the HTTPS server', () => {
  let server: RunningServer;
  let ca: Buffer;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'https-server-'));
    const certs = await ensureDevCertificates(dir);
    ca = await readFile(certs.caFile);
    const tls = { cert: await readFile(certs.certFile), key: await readFile(certs.keyFile) };
    server = await startServer({ host: '127.0.0.1', port: 0, tls, getConfig: () => FAKE_CONFIG, logger: pino({ level: 'silent' }), engine: fakeEngine });
  });
  after(() => server.close());

  it('answers a review over TLS that verifies against the dev CA, with ALPN http/1.1', async () => {
    const res = await httpsRequest(`${server.url}/inject?timeout=10s`, {
      ca,
      method: 'POST',
      body: reviewFixtureText('pod-plain'),
      headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': 'kube-apiserver-admission' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.alpn, 'http/1.1');
    const review = JSON.parse(res.body);
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.uid, '0c4e1b9e-6a51-4f0e-9d6f-1f2b3c4d5e01');
  });

  it('presents a certificate valid for the in-cluster service name', async () => {
    const res = await httpsRequest(`${server.url}/healthz`, { ca, servername: 'sidecar-injector.istio-system.svc' });
    assert.equal(res.status, 200);
  });

  it('is not trusted by a client that does not know the CA', async () => {
    const other = await generateCa();
    await assert.rejects(httpsRequest(`${server.url}/healthz`, { ca: other.cert }), /self-signed|unable to verify|certificate/i);
  });

  it('refuses TLS older than 1.2', async () => {
    await assert.rejects(httpsRequest(`${server.url}/healthz`, { ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
  });
});
