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
  | { kind: 'denied'; code: number; message: string; warnings: string[] }
  | { kind: 'failed'; message: string };

export interface CallTarget {
  /** The port on 127.0.0.1 where `<service>.<namespace>` answers. */
  port: number;
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

// DER of the OIDs sha1WithRSAEncryption (1.2.840.113549.1.1.5) and ecdsa-with-SHA1 (1.2.840.10045.4.1).
const SHA1_OIDS = [Buffer.from('06092a864886f70d010105', 'hex'), Buffer.from('06072a8648ce3d0401', 'hex')];

/** Go's rules: the name must be in a DNS SAN (no CN fallback), and SHA-1 signatures are refused. */
function checkServer(servername: string, cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  if (sans.length === 0) return new Error('x509: certificate relies on legacy Common Name field, use SANs instead');
  if (!sans.includes(servername)) return new Error(`x509: certificate is valid for ${sans.join(', ')}, not ${servername}`);
  if (SHA1_OIDS.some((oid) => cert.raw.includes(oid))) return new Error('x509: cannot verify signature: insecure algorithm SHA1-RSA');
  new X509Certificate(cert.raw); // parses, or throws
  return undefined;
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
    Host: `${servername}:443`,
  };
  const sent: SentRequest = { path, headers, body: review };
  const payload = `${JSON.stringify(review)}\n`;
  const result = await new Promise<{ status: number; body: Buffer } | { error: string }>((resolve) => {
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
        checkServerIdentity: checkServer,
        agent: false,
        signal: AbortSignal.timeout(target.timeoutSeconds * 1000),
      } as RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw });
        });
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ error: err.name === 'AbortError' || err.name === 'TimeoutError' ? 'context deadline exceeded' : err.message }));
    req.end(payload);
  });
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
  if (response.allowed !== true) {
    const code = Math.max(400, Number(response.status?.code ?? 400));
    return { kind: 'denied', code, message: `admission webhook "${webhookName}" denied the request: ${response.status?.message ?? ''}`, warnings };
  }
  const hasPatch = response.patch !== undefined && response.patch !== null;
  const hasType = response.patchType !== undefined && response.patchType !== null;
  if (hasPatch !== hasType) return { kind: 'failed', message: 'webhook returned patch without patchType or the reverse' };
  if (!hasPatch) return { kind: 'allowed', warnings, auditAnnotations };
  if (response.patchType !== 'JSONPatch') return { kind: 'failed', message: `webhook returned invalid patchType ${response.patchType}` };
  if (typeof response.patch !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(response.patch) || response.patch.length % 4 !== 0) {
    return { kind: 'failed', message: 'patch is not standard, padded base64' };
  }
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  } catch {
    return { kind: 'failed', message: 'patch is not JSON' };
  }
  if (ops === null) return { kind: 'allowed', warnings, auditAnnotations };
  if (!Array.isArray(ops)) return { kind: 'failed', message: 'patch is not a JSON array' };
  return ops.length === 0 ? { kind: 'allowed', warnings, auditAnnotations } : { kind: 'patched', ops, warnings, auditAnnotations };
}

export function newUid(): string {
  return randomUUID();
}
