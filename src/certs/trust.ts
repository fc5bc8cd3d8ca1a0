/**
 * Whether a caBundle trusts a serving certificate: the check the apiserver makes on every new
 * connection to the webhook, done beforehand so a replica never serves a certificate that the
 * published caBundle cannot verify.
 */
import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle; blocks that do not parse are left out. */
export function bundleCertificates(bundle: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of bundle.match(PEM_CERTIFICATE) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // a damaged block trusts nothing
    }
  }
  return out;
}

/** True when a CA of `bundle` (PEM) issued and signed `cert` (PEM). */
export function bundleTrusts(bundle: string, cert: string | Buffer): boolean {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    return false;
  }
  return bundleCertificates(bundle).some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}
