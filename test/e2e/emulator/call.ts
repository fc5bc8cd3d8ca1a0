/**
 * One webhook call as the apiserver makes it: the request it sends, over TLS that trusts only the
 * caBundle and checks the service's DNS name, and the strict decoding of the answer.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { decodeJsonPatch } from './json-patch-v4.js';

export type Outcome =
  | { kind: 'patched'; ops: unknown[]; warnings: string[]; auditAnnotations: Record<string, string> }
  | { kind: 'allowed'; warnings: string[]; auditAnnotations: Record<string, string> }
  /** `reason` is the webhook's status.reason (kubectl shows it as `Error from server (<reason>)`). */
  | { kind: 'denied'; code: number; message: string; reason: string; warnings: string[]; auditAnnotations: Record<string, string> }
  /**
   * A call error (ErrCallingWebhook): failurePolicy decides. The message is the apiserver's reason,
   * e.g. `failed to call webhook: Post "...": context deadline exceeded`, `received invalid webhook
   * response: ...`, `received undecodable patch in webhook response: ...`. Warnings and audit
   * annotations the answer carried before its patch turned out unusable still count.
   */
  | { kind: 'failed'; message: string; warnings?: string[]; auditAnnotations?: Record<string, string> };

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

/** Node's TLS verification codes for a chain that does not lead to the caBundle. */
const UNKNOWN_AUTHORITY = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE']);

/** A transport error as Go's net/http and crypto/tls word it (the part after `Post "<url>": `). */
function goTransportError(err: NodeJS.ErrnoException & { reason?: string }, port: number, fromIdentityCheck: boolean): string {
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'context deadline exceeded';
  if (err.code === 'ECONNREFUSED') return `dial tcp 127.0.0.1:${port}: connect: connection refused`;
  if (err.code === 'ECONNRESET') return `read tcp 127.0.0.1->127.0.0.1:${port}: read: connection reset by peer`;
  if (fromIdentityCheck) return `tls: failed to verify certificate: ${err.message}`;
  if (err.code !== undefined && UNKNOWN_AUTHORITY.has(err.code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (err.code === 'CERT_HAS_EXPIRED' || err.code === 'CERT_NOT_YET_VALID') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  return err.message;
}

/** Sends `review` and returns what the apiserver makes of the answer. */
export async function callWebhook(target: CallTarget, review: any): Promise<{ outcome: Outcome; sent: SentRequest }> {
  const servername = `${target.serviceName}.${target.serviceNamespace}.svc`;
  const query = `?timeout=${target.timeoutSeconds}s`;
  // Without a path Go requests `/`, while its error messages print the URL as it is.
  const path = `${target.path || '/'}${query}`;
  const host = `${servername}:${target.servicePort ?? 443}`;
  const url = `https://${host}${target.path}${query}`;
  const payload = `${JSON.stringify(review)}\n`;
  // Go's client writes these, in this order, and keeps the connection open (no Connection header).
  const headers = {
    Host: host,
    'User-Agent': 'kube-apiserver-admission',
    'Content-Length': String(Buffer.byteLength(payload)),
    Accept: 'application/json, */*',
    'Content-Type': 'application/json',
    'Accept-Encoding': 'gzip',
  };
  const sent: SentRequest = { path, headers, body: review };
  const deadline = Date.now() + target.timeoutSeconds * 1000;
  type Answer = { status: number; body: Buffer; contentType: string; retryAfter?: string } | { error: string };
  const once = () =>
    new Promise<Answer>((resolve) => {
      let identityError = false;
      const req = request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: 'POST',
          path,
          headers,
          servername,
          ca: Buffer.from(target.caBundle, 'base64'),
          ALPNProtocols: ['http/1.1'],
          minVersion: 'TLSv1.2',
          checkServerIdentity: (name: string, cert: PeerCertificate) => {
            const err = verifyServerCertificate(name, cert);
            if (err) identityError = true;
            return err;
          },
          agent: false,
          signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
        } as RequestOptions,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            const retryAfter = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw,
              contentType: res.headers['content-type'] ?? '',
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
            });
          });
          res.on('error', (err) => resolve({ error: goTransportError(err, target.port, false) }));
        },
      );
      req.removeHeader('Connection');
      req.on('error', (err) => resolve({ error: goTransportError(err, target.port, identityError) }));
      req.end(payload);
    });
  const failed = (message: string): { outcome: Outcome; sent: SentRequest } => ({ outcome: { kind: 'failed', message: `failed to call webhook: ${message}` }, sent });
  // client-go retries 429 and 5xx answers that carry Retry-After, within the call's deadline.
  let result = await once();
  for (let retry = 0; retry < MAX_RETRIES && 'status' in result && (result.status === 429 || result.status >= 500) && result.retryAfter !== undefined && /^\d+$/.test(result.retryAfter); retry++) {
    const wait = Number(result.retryAfter) * 1000;
    if (Date.now() + wait >= deadline) return failed(`Post "${url}": context deadline exceeded`);
    await sleep(wait);
    result = await once();
  }
  if ('error' in result) return failed(`Post "${url}": ${result.error}`);
  return { outcome: decodeAnswer(result.status, result.body, review, target.webhookName, result.contentType), sent };
}

/** client-go's error for a status outside 200-206 without a Status body (NewGenericServerResponse). */
function genericServerResponse(status: number, body: Buffer, contentType: string): string {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  const serverMessage = contentType === '' || media.startsWith('text/') ? body.toString('utf8').slice(0, 1024).trim() : 'unknown';
  const messages: Record<number, string> = {
    400: 'the server rejected our request for an unknown reason',
    401: 'the server has asked for the client to provide credentials',
    403: serverMessage,
    404: 'the server could not find the requested resource',
    405: 'the server does not allow this method on the requested resource',
    406: serverMessage === '' || serverMessage === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : serverMessage,
    409: 'the server reported a conflict',
    415: serverMessage,
    422: 'the server rejected our request due to an error in our request',
    429: 'the server has received too many requests and has asked us to try again later',
    503: 'the server is currently unable to handle the request',
    504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  };
  if (status in messages) return messages[status]!;
  if (status >= 500) return `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
  return `the server responded with the status code ${status} but did not return more information`;
}

/** A JSON body that is a Status with status Failure: client-go returns its message. */
function failureStatusMessage(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (parsed?.kind === 'Status' && parsed?.status === 'Failure') return typeof parsed.message === 'string' ? parsed.message : '';
  } catch {
    // not JSON
  }
  return undefined;
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const FIND_KIND = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** Go's base64.StdEncoding.Decode: padding required, CR and LF skipped, errors at Go's offsets. */
export function goBase64Decode(text: string): Buffer {
  const out: number[] = [];
  const corrupt = (at: number) => new Error(`illegal base64 data at input byte ${at}`);
  let si = 0;
  const skipNewlines = () => {
    while (si < text.length && (text[si] === '\n' || text[si] === '\r')) si++;
  };
  for (;;) {
    const quantum: number[] = [];
    let done = false;
    while (quantum.length < 4) {
      if (si === text.length) {
        if (quantum.length === 0) return Buffer.from(out);
        throw corrupt(si - quantum.length);
      }
      const ch = text[si]!;
      si++;
      const value = BASE64.indexOf(ch);
      if (value >= 0) {
        quantum.push(value);
        continue;
      }
      if (ch === '\n' || ch === '\r') continue;
      if (ch !== '=') throw corrupt(si - 1);
      if (quantum.length < 2) throw corrupt(si - 1);
      if (quantum.length === 2) {
        skipNewlines();
        if (si === text.length) throw corrupt(text.length);
        if (text[si] !== '=') throw corrupt(si - 1);
        si++;
      }
      skipNewlines();
      if (si < text.length) throw corrupt(si);
      done = true;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (quantum.length > 2) out.push((bits >> 8) & 0xff);
    if (quantum.length > 3) out.push(bits & 0xff);
    if (done) return Buffer.from(out);
  }
}

/** The scheme of the webhook client: AdmissionReview in the two versions it knows. */
const REVIEW_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];

/**
 * The apiserver's reading of a webhook answer: client-go's handling of the HTTP response, the
 * decode into the AdmissionReview version it sent, VerifyAdmissionResponse, then the verdict and
 * the patch. Call errors come back as `failed` (failurePolicy decides).
 */
export function decodeAnswer(status: number, body: Buffer, review: any, webhookName: string, contentType = 'application/json'): Outcome {
  const callError = (message: string): Outcome => ({ kind: 'failed', message: `failed to call webhook: ${message}` });
  if (status < 200 || status > 206) return callError(failureStatusMessage(body) ?? genericServerResponse(status, body, contentType));
  const media = (contentType || 'application/json').split(';')[0]!.trim().toLowerCase();
  if (!['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'].includes(media)) return callError(`serializer for ${contentType} doesn't exist`);
  if (body.length === 0) return callError(`0-length response with status code: ${status} and content type: ${contentType || 'application/json'}`);
  let parsed: any;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // The decoder also reads YAML: a bare word is a string, which has no apiVersion or kind.
    const text = body.toString('utf8').trim();
    if (/^[A-Za-z0-9][^:{}[\]]*$/.test(text)) return callError(`couldn't get version/kind; json parse error: json: cannot unmarshal string into Go value of type ${FIND_KIND}`);
    return callError(`couldn't get version/kind; json parse error: invalid character ${JSON.stringify(text[0] ?? '')} looking for beginning of value`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return callError(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed === 'boolean' ? 'bool' : parsed === null ? 'null' : typeof parsed} into Go value of type ${FIND_KIND}`);
  }
  const apiVersion = typeof parsed.apiVersion === 'string' ? parsed.apiVersion : '';
  const kind = typeof parsed.kind === 'string' ? parsed.kind : '';
  if (apiVersion !== '' && kind !== '') {
    if (kind !== 'AdmissionReview' || !REVIEW_VERSIONS.includes(apiVersion)) return callError(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/runtime/scheme.go:111"`);
    if (apiVersion !== review.apiVersion) return callError(`converting (${apiVersion.split('/')[1]}.AdmissionReview) to (${String(review.apiVersion).split('/')[1]}.AdmissionReview): unknown conversion`);
  }
  const response = parsed.response;
  // Go decodes `patch` as []byte: standard, padded base64 (line breaks skipped); a bad encoding
  // fails the whole body, so it is a call error.
  let patchBytes: Buffer = Buffer.alloc(0);
  if (response !== null && typeof response === 'object' && response.patch !== undefined && response.patch !== null) {
    if (typeof response.patch !== 'string') return callError(`json: cannot unmarshal ${typeof response.patch} into Go struct field AdmissionResponse.response.patch of type []uint8`);
    try {
      patchBytes = goBase64Decode(response.patch);
    } catch (err) {
      return callError((err as Error).message);
    }
  }
  const invalid = (message: string): Outcome => ({ kind: 'failed', message: `received invalid webhook response: ${message}` });
  if (response === undefined || response === null) return invalid('webhook response was absent');
  const v1 = review.apiVersion === 'admission.k8s.io/v1';
  let patchType = '';
  if (v1) {
    if (response.uid !== review.request.uid) return invalid(`expected response.uid=${JSON.stringify(review.request.uid)}, got ${JSON.stringify(typeof response.uid === 'string' ? response.uid : '')}`);
    if (apiVersion !== 'admission.k8s.io/v1' || kind !== 'AdmissionReview') {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      return invalid(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${group}/${version}, Kind=${kind}`);
    }
    const hasType = response.patchType !== undefined && response.patchType !== null;
    if (patchBytes.length > 0 && !hasType) return invalid('webhook returned response.patch but not response.patchType');
    if (patchBytes.length === 0 && hasType) return invalid('webhook returned response.patchType but not response.patch');
    if (hasType) {
      patchType = String(response.patchType);
      if (patchType === '') return invalid('webhook returned invalid response.patchType of ""');
    }
  } else if (patchBytes.length > 0) {
    // v1beta1 answers are not checked: any patch counts as a JSON patch.
    patchType = 'JSONPatch';
  }
  const warnings: string[] = Array.isArray(response.warnings) ? response.warnings.filter((w: unknown): w is string => typeof w === 'string') : [];
  const auditAnnotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.auditAnnotations ?? {})) {
    const key = `${webhookName}/${k}`;
    if (QUALIFIED_NAME.test(key) && typeof v === 'string') auditAnnotations[key] = v;
  }
  if (response.allowed !== true) {
    // ToStatusErr: a code of at least 400, explained by message, else reason.
    const code = Math.max(400, Number.isInteger(response.status?.code) ? response.status.code : 0);
    const deniedBy = `admission webhook "${webhookName}" denied the request`;
    const explanation = response.status?.message || response.status?.reason;
    const reason = typeof response.status?.reason === 'string' ? response.status.reason : '';
    return { kind: 'denied', code, reason, message: explanation ? `${deniedBy}: ${explanation}` : `${deniedBy} without explanation`, warnings, auditAnnotations };
  }
  if (patchBytes.length === 0) return { kind: 'allowed', warnings, auditAnnotations };
  let ops: unknown[] | null;
  try {
    ops = decodeJsonPatch(JSON.parse(patchBytes.toString('utf8')));
  } catch (err) {
    const message = err instanceof SyntaxError ? goJsonSyntaxError(patchBytes.toString('utf8')) : (err as Error).message;
    return { kind: 'failed', message: `received undecodable patch in webhook response: ${message}`, warnings, auditAnnotations };
  }
  if (ops === null || ops.length === 0) return { kind: 'allowed', warnings, auditAnnotations };
  if (patchType !== 'JSONPatch') return { kind: 'failed', message: `unsupported patch type ${JSON.stringify(patchType)}`, warnings, auditAnnotations };
  return { kind: 'patched', ops, warnings, auditAnnotations };
}

/** Go's encoding/json message for the first syntax error of `text` (the common cases). */
export function goJsonSyntaxError(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed === '') return 'unexpected end of JSON input';
  const first = trimmed[0]!;
  for (const literal of ['null', 'true', 'false']) {
    if (first !== literal[0]) continue;
    for (let i = 1; i < literal.length; i++) {
      if (i >= trimmed.length) return 'unexpected end of JSON input';
      if (trimmed[i] !== literal[i]) return `invalid character '${trimmed[i]}' in literal ${literal} (expecting '${literal[i]}')`;
    }
  }
  if (!/[[{"\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
  return 'unexpected end of JSON input';
}

/** A fresh request uid, as the apiserver makes one per call (reinvocations included). */
export function newUid(): string {
  return randomUUID();
}
