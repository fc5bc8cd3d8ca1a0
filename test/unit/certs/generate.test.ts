import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureDevCertificates } from '../../../src/certs/dev.js';
import { describeCertificate, generateCa, generateClientCert, generateServingCert } from '../../../src/certs/generate.js';

describe('certificate generation', () => {
  it('signs a SHA-256 serving certificate with DNS and IP SANs that chains to the CA', async () => {
    const ca = await generateCa({ days: 10 });
    const leaf = await generateServingCert(ca, { sans: ['svc.ns.svc', '127.0.0.1'], days: 2 });
    const caCert = new X509Certificate(ca.cert);
    const leafCert = new X509Certificate(leaf.cert);
    assert.ok(caCert.ca);
    assert.ok(!leafCert.ca);
    assert.ok(leafCert.verify(caCert.publicKey), 'leaf is signed by the CA');
    assert.ok(leafCert.checkIssued(caCert));
    assert.deepEqual(describeCertificate(leaf.cert).subjectAltNames, ['DNS:svc.ns.svc', 'IP Address:127.0.0.1']);
    const lifetimeDays = (Date.parse(leafCert.validTo) - Date.parse(leafCert.validFrom)) / 86_400_000;
    assert.equal(Math.round(lifetimeDays), 2);
  });

  it('signs a client certificate whose subject names the user (CN) and groups (O), for client authentication only', async () => {
    const ca = await generateCa();
    const client = await generateClientCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters', 'team'] });
    const cert = new X509Certificate(client.cert);
    assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey));
    assert.equal(cert.subject, 'CN=kubernetes-admin\nO=system:masters\nO=team');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(cert.subjectAltName, undefined);
  });

  it('refuses a serving certificate without SANs', async () => {
    const ca = await generateCa();
    await assert.rejects(generateServingCert(ca, { sans: [] }), /at least one SAN/);
  });
});

describe('development certificates', () => {
  it('creates the four files once, keys private, and reuses them afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dev-certs-'));
    const first = await ensureDevCertificates(dir);
    assert.equal(first.created, true);
    assert.equal((await stat(join(dir, 'tls.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'ca.key'))).mode & 0o777, 0o600);
    const cert = await readFile(first.certFile, 'utf8');
    assert.deepEqual(describeCertificate(cert).subjectAltNames, ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:sidecar-injector.istio-system.svc']);

    const second = await ensureDevCertificates(dir);
    assert.equal(second.created, false);
    assert.equal(await readFile(second.certFile, 'utf8'), cert);
  });
});
