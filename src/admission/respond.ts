/**
 * Builds AdmissionReview answers in the version of the request, echoing its uid.
 */
import { serializePatch, type PatchOperation } from '../patch/index.js';
import type { AdmissionResponse, AdmissionReview, ReviewVersion } from './types.js';

export interface AllowOptions {
  patch?: readonly PatchOperation[];
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** Warnings reach the client as HTTP headers; the apiserver caps their total size. */
const MAX_WARNING_CHARS = 4096;

function withExtras(response: AdmissionResponse, options: Omit<AllowOptions, 'patch'>): AdmissionResponse {
  const warnings = capWarnings(options.warnings ?? []);
  if (warnings.length > 0) response.warnings = warnings;
  if (options.auditAnnotations !== undefined && Object.keys(options.auditAnnotations).length > 0) {
    response.auditAnnotations = options.auditAnnotations;
  }
  return response;
}

function capWarnings(warnings: string[]): string[] {
  const kept: string[] = [];
  let total = 0;
  for (const warning of warnings) {
    if (total + warning.length > MAX_WARNING_CHARS) break;
    kept.push(warning);
    total += warning.length;
  }
  return kept;
}

/**
 * The UTF-8 bytes of a patch are encoded through one buffer kept for the purpose, instead of a new
 * buffer per review (a patch of a few KiB is above the size Node allocates from its shared pool,
 * so each `Buffer.from` would be an allocation of its own). Patches larger than the buffer, rare,
 * get a buffer of their own; the kept one never grows.
 */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

function base64Utf8(text: string): string {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8.
  if (text.length * 3 > SCRATCH_BYTES) return Buffer.from(text, 'utf8').toString('base64');
  scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  const bytes = scratch.write(text, 0, 'utf8');
  return scratch.toString('base64', 0, bytes);
}

function review(apiVersion: ReviewVersion, response: AdmissionResponse): AdmissionReview {
  return { apiVersion, kind: 'AdmissionReview', response };
}

/** Lets the object through, with a JSON patch when there is one (an empty patch is omitted). */
export function allow(apiVersion: ReviewVersion, uid: string, options: AllowOptions = {}): AdmissionReview {
  const response: AdmissionResponse = { uid, allowed: true };
  if (options.patch !== undefined && options.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = base64Utf8(serializePatch(options.patch));
  }
  return review(apiVersion, withExtras(response, options));
}

/** Refuses the object; the apiserver shows `message` to the client. */
export function deny(
  apiVersion: ReviewVersion,
  uid: string,
  code: number,
  message: string,
  options: Omit<AllowOptions, 'patch'> = {},
): AdmissionReview {
  const response: AdmissionResponse = { uid, allowed: false, status: { code, message, reason: code >= 500 ? 'InternalError' : 'BadRequest' } };
  return review(apiVersion, withExtras(response, options));
}

/**
 * The review as JSON text: what `JSON.stringify(review)` gives, with the patch as the last field.
 * The base64 patch (several KiB) is spliced in as is instead of being scanned for characters to
 * escape, which base64 never contains.
 */
export function serializeReview(review: AdmissionReview): string {
  if (review.response?.patch === undefined) return JSON.stringify(review);
  const { patch, ...response } = review.response;
  const head = JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind, response });
  return `${head.slice(0, -2)},"patch":"${patch}"}}`;
}
