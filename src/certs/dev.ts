/**
 * Development certificates for `npm start`: created in a folder when absent, reused otherwise.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCa, generateServingCert, type KeyPair } from './generate.js';

/** The SANs a dev serving certificate carries unless told otherwise. */
export const DEFAULT_DEV_SANS: readonly string[] = ['localhost', '127.0.0.1', 'sidecar-injector.istio-system.svc'];

export interface DevCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** True when the files were created by this call. */
  created: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Makes sure `dir` holds ca.crt, ca.key, tls.crt and tls.key; generates all four when any of
 * them is missing. Keys are written with mode 0600.
 */
export async function ensureDevCertificates(dir: string, sans: readonly string[] = DEFAULT_DEV_SANS): Promise<DevCertificates> {
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const present = await Promise.all([caFile, caKeyFile, certFile, keyFile].map(exists));
  if (present.every(Boolean)) return { caFile, certFile, keyFile, created: false };

  await mkdir(dir, { recursive: true });
  const ca = await generateCa({ commonName: 'sidecar-injector development CA' });
  const leaf = await generateServingCert(ca, { sans: [...sans] });
  await writePair(caFile, caKeyFile, ca);
  await writePair(certFile, keyFile, leaf);
  return { caFile, certFile, keyFile, created: true };
}

async function writePair(certFile: string, keyFile: string, pair: KeyPair): Promise<void> {
  await writeFile(keyFile, pair.key, { mode: 0o600 });
  await chmod(keyFile, 0o600); // mode is ignored when the file already exists
  await writeFile(certFile, pair.cert, { mode: 0o644 });
}
