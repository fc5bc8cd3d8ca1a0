/**
 * Certificate generation for development and for `sidecar-injector certs`: a CA and a serving
 * certificate it signs. SHA-256 signatures and SAN entries, because the apiserver rejects SHA-1
 * and CN-only certificates.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface CaOptions {
  commonName?: string;
  /** Lifetime in days; default 3650. */
  days?: number;
}

export interface ServingCertOptions {
  /** DNS names and IP addresses, mixed: each entry is classified by its form. */
  sans: string[];
  commonName?: string;
  /** Lifetime in days; default 365. */
  days?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  // Back-dated by five minutes so a node whose clock runs slightly behind still accepts it.
  const notBeforeDate = new Date(Date.now() - 5 * 60 * 1000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + days * DAY_MS) };
}

/**
 * Generates a self-signed CA. Its subject always ends in a random suffix: while a CA is rotated the
 * caBundle holds the old and the new CA, and verifiers pick a CA by subject, so two CAs must never
 * share one.
 */
export async function generateCa(options: CaOptions = {}): Promise<KeyPair> {
  const commonName = `${options.commonName ?? 'sidecar-injector-ca'} ${randomBytes(4).toString('hex')}`;
  const result = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    ...validity(options.days ?? 3650),
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: result.cert, key: result.private };
}

/** Generates a serving certificate signed by `ca`, valid for every SAN given. */
export async function generateServingCert(ca: KeyPair, options: ServingCertOptions): Promise<KeyPair> {
  const [first] = options.sans;
  if (first === undefined) throw new Error('a serving certificate needs at least one SAN');
  const altNames = options.sans.map((san) => (isIP(san) ? { type: 7 as const, ip: san } : { type: 2 as const, value: san }));
  return signLeaf(ca, [{ name: 'commonName', value: options.commonName ?? first }], options.days ?? 365, [
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
}

export interface ClientCertOptions {
  /** The user name a Kubernetes apiserver reads from the certificate. */
  commonName: string;
  /** Groups (subject O), e.g. `system:masters`. */
  organizations?: string[];
  /** Lifetime in days; default 365. */
  days?: number;
}

/** Generates a client certificate signed by `ca` (x509 client authentication). */
export async function generateClientCert(ca: KeyPair, options: ClientCertOptions): Promise<KeyPair> {
  const subject = [{ name: 'commonName', value: options.commonName }, ...(options.organizations ?? []).map((value) => ({ name: 'organizationName', value }))];
  return signLeaf(ca, subject, options.days ?? 365, [{ name: 'extKeyUsage', clientAuth: true }]);
}

type Extensions = NonNullable<NonNullable<Parameters<typeof selfsigned.generate>[1]>['extensions']>;

async function signLeaf(ca: KeyPair, subject: { name: string; value: string }[], days: number, extensions: Extensions): Promise<KeyPair> {
  const result = await selfsigned.generate(subject, {
    ...validity(days),
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      ...extensions,
    ],
  });
  return { cert: result.cert, key: result.private };
}

/** The parts of a PEM certificate a user needs to see: SANs and validity. */
export function describeCertificate(pem: string): { subjectAltNames: string[]; validFrom: Date; validTo: Date; fingerprint256: string } {
  const x509 = new X509Certificate(pem);
  const subjectAltNames = (x509.subjectAltName ?? '').split(', ').filter((s) => s.length > 0);
  return { subjectAltNames, validFrom: new Date(x509.validFrom), validTo: new Date(x509.validTo), fingerprint256: x509.fingerprint256 };
}
