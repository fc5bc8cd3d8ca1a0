/**
 * One webhook call as the apiserver makes it: the request it sends, over TLS that trusts only the
 * caBundle and checks the service's DNS name, and the strict decoding of the answer.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { gunzipSync } from 'node:zlib';

export type Outcome =
  | { kind: 'patched'; ops: unknown[]; warnings: string[]; auditAnnotations: Record<string, string> }
  | { kind: 'allowed'; warnings: string[]; auditAnnotations: Record<string, string> }
  | { kind: 'denied'; code: number; message: string; warnings: string[]; auditAnnotations: Record<string, string> }
  /** A call error: failurePolicy decides. */
  | { kind: 'failed'; message: string }
  /** Base64 that is not a JSON patch: always a 500, whatever the failurePolicy. */
  | { kind: 'invalid-patch'; message: string; warnings: string[]; auditAnnotations: Record<string, string> };

export interface CallTarget {
  /** The port on 127.0.0.1 where `<service>.<namespace>` answers. */
  port: number;
  /** The Service port of the configuration (443 by default); it appears in the Host header. */
  servicePort?: number;
  serviceName: string;
  serviceNamespace: string;
  path: string;
  caBundle: string;
  timeoutSeconds: number;
  webhookName: string;
}

export interface SentRequest {
  path: string;
  headers: Record<string, string>;
  body: any;
}

// Signature algorithms Go's x509 refuses: sha1WithRSAEncryption, ecdsa-with-SHA1, dsaWithSHA1, md5WithRSAEncryption.
const WEAK_SIGNATURES = new Map([
  ['2a864886f70d010105', 'SHA1-RSA'],
  ['2a8648ce3d0401', 'ECDSA-SHA1'],
  ['2a8648ce380403', 'DSA-SHA1'],
  ['2a864886f70d010104', 'MD5-RSA'],
]);

/** Reads one DER TLV at `at`: where its content starts and ends. */
function tlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

/** The hex OID of a certificate's outer signatureAlgorithm (Certificate = SEQ { tbs, sigAlg, sig }). */
export function signatureAlgorithmOid(der: Buffer): string {
  const cert = tlv(der, 0);
  const tbs = tlv(der, cert.start);
  const sigAlg = tlv(der, tbs.end);
  const oid = tlv(der, sigAlg.start);
  return der.subarray(oid.start, oid.end).toString('hex');
}

/** Go's VerifyHostname for DNS names: case-insensitive, a leading `*` label matches one label. */
function nameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

/**
 * Go's checks on the served chain, after the CA verified it: the name must be in a DNS SAN (no CN
 * fallback), and no certificate below the root may carry a SHA-1 or MD5 signature.
 */
export function verifyServerCertificate(servername: string, cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  if (sans.length === 0 && !(cert.subjectaltname ?? '').includes('IP Address:')) return new Error('x509: certificate relies on legacy Common Name field, use SANs instead');
  if (!sans.some((san) => nameMatches(san, servername))) return new Error(`x509: certificate is valid for ${sans.join(', ')}, not ${servername}`);
  let current: any = cert;
  for (let depth = 0; current?.raw !== undefined && depth < 10; depth++) {
    const issuer = current.issuerCertificate;
    const selfSigned = issuer === undefined || issuer === current || issuer.fingerprint256 === current.fingerprint256;
    if (selfSigned && depth > 0) break; // the root's own signature is not checked
    const weak = WEAK_SIGNATURES.get(signatureAlgorithmOid(current.raw as Buffer));
    if (weak !== undefined) return new Error(`x509: cannot verify signature: insecure algorithm ${weak}`);
    if (selfSigned) break;
    current = issuer;
  }
  new X509Certificate(cert.raw); // parses, or throws
  return undefined;
}

const MAX_RETRIES = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `review` and returns what the apiserver makes of the answer. */
export async function callWebhook(target: CallTarget, review: any): Promise<{ outcome: Outcome; sent: SentRequest }> {
  const servername = `${target.serviceName}.${target.serviceNamespace}.svc`;
  const path = `${target.path}?timeout=${target.timeoutSeconds}s`;
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, */*',
    'Accept-Encoding': 'gzip',
    'User-Agent': 'kube-apiserver-admission',
    Host: `${servername}:${target.servicePort ?? 443}`,
  };
  const sent: SentRequest = { path, headers, body: review };
  const payload = `${JSON.stringify(review)}\n`;
  const deadline = Date.now() + target.timeoutSeconds * 1000;
  const once = () => new Promise<{ status: number; body: Buffer; retryAfter?: string } | { error: string }>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path,
        headers: { ...headers, 'Content-Length': Buffer.byteLength(payload) },
        servername,
        ca: Buffer.from(target.caBundle, 'base64'),
        ALPNProtocols: ['http/1.1'],
        minVersion: 'TLSv1.2',
        checkServerIdentity: verifyServerCertificate,
        agent: false,
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      } as RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        });
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ error: err.name === 'AbortError' || err.name === 'TimeoutError' ? 'context deadline exceeded' : err.message }));
    req.end(payload);
  });
  // client-go retries 429 and 5xx answers that carry Retry-After, within the call's deadline.
  let result = await once();
  for (let retry = 0; retry < MAX_RETRIES && 'status' in result && (result.status === 429 || result.status >= 500) && result.retryAfter !== undefined && /^\d+$/.test(result.retryAfter); retry++) {
    const wait = Number(result.retryAfter) * 1000;
    if (Date.now() + wait >= deadline) return { outcome: { kind: 'failed', message: 'context deadline exceeded' }, sent };
    await sleep(wait);
    result = await once();
  }
  if ('error' in result) return { outcome: { kind: 'failed', message: result.error }, sent };
  return { outcome: decodeAnswer(result.status, result.body, review, target.webhookName), sent };
}

function statusMessage(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (parsed?.kind === 'Status' && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status body
  }
  return body.toString('utf8').slice(0, 200);
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The apiserver's strict reading of a webhook answer. */
export function decodeAnswer(status: number, body: Buffer, review: any, webhookName: string): Outcome {
  if (status < 200 || status > 206) return { kind: 'failed', message: `the server responded with status ${status}: ${statusMessage(body)}` };
  let parsed: any;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'failed', message: 'cannot decode the response body' };
  }
  if (review.apiVersion === 'admission.k8s.io/v1') {
    if (parsed?.apiVersion !== 'admission.k8s.io/v1' || parsed?.kind !== 'AdmissionReview') return { kind: 'failed', message: `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${parsed?.apiVersion}, Kind=${parsed?.kind}` };
  }
  const response = parsed?.response;
  if (response === undefined || response === null) return { kind: 'failed', message: 'webhook response was absent' };
  if (review.apiVersion === 'admission.k8s.io/v1' && response.uid !== review.request.uid) return { kind: 'failed', message: `expected response.uid="${review.request.uid}", got "${response.uid}"` };
  const warnings: string[] = Array.isArray(response.warnings) ? response.warnings : [];
  const auditAnnotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.auditAnnotations ?? {})) {
    const key = `${webhookName}/${k}`;
    if (QUALIFIED_NAME.test(key) && typeof v === 'string') auditAnnotations[key] = v;
  }
  // Go decodes `patch` as []byte (strict, padded standard base64); a bad encoding fails the
  // whole body, so it is a call error. An empty patch or patchType counts as absent.
  if (response.patch !== undefined && response.patch !== null && (typeof response.patch !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(response.patch) || response.patch.length % 4 !== 0)) {
    return { kind: 'failed', message: 'cannot decode the response body: patch is not standard, padded base64' };
  }
  const patchBytes = typeof response.patch === 'string' ? Buffer.from(response.patch, 'base64') : Buffer.alloc(0);
  const patchType = typeof response.patchType === 'string' ? response.patchType : '';
  if (patchBytes.length > 0 && patchType === '') return { kind: 'failed', message: 'received invalid webhook response: webhook returned response.patch but not response.patchType' };
  if (patchBytes.length === 0 && patchType !== '') return { kind: 'failed', message: 'received invalid webhook response: webhook returned response.patchType but not response.patch' };
  if (patchBytes.length > 0 && patchType !== 'JSONPatch') return { kind: 'failed', message: `unsupported patch type ${JSON.stringify(patchType)}` };
  // The checks above belong to the response's verification, which precedes the verdict.
  if (response.allowed !== true) {
    // The apiserver raises the code to 400 at least and explains with message, else reason.
    const code = Math.max(400, Number.isInteger(response.status?.code) ? response.status.code : 0);
    const deniedBy = `admission webhook "${webhookName}" denied the request`;
    const explanation = response.status?.message || response.status?.reason;
    return { kind: 'denied', code, message: explanation ? `${deniedBy}: ${explanation}` : `${deniedBy} without explanation`, warnings, auditAnnotations };
  }
  if (patchBytes.length === 0) return { kind: 'allowed', warnings, auditAnnotations };
  // From here on the call succeeded: a patch that is not a JSON array of operations is an
  // internal error the failurePolicy does not cover.
  let ops: unknown;
  try {
    ops = JSON.parse(patchBytes.toString('utf8'));
  } catch (err) {
    return { kind: 'invalid-patch', message: `patch is not JSON: ${(err as Error).message}`, warnings, auditAnnotations };
  }
  if (ops === null) return { kind: 'allowed', warnings, auditAnnotations };
  if (!Array.isArray(ops) || ops.some((op) => op === null || typeof op !== 'object' || Array.isArray(op))) {
    return { kind: 'invalid-patch', message: 'json: cannot unmarshal the patch into []Operation', warnings, auditAnnotations };
  }
  return ops.length === 0 ? { kind: 'allowed', warnings, auditAnnotations } : { kind: 'patched', ops, warnings, auditAnnotations };
}

/** A fresh request uid, as the apiserver makes one per call (reinvocations included). */
export function newUid(): string {
  return randomUUID();
}
