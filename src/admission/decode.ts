/**
 * Validates the AdmissionReview envelope. Only the envelope: the pod itself is the injection
 * engine's business. Anything the apiserver would never send is an InjectorError with a 4xx.
 */
import { InjectorError } from '../errors.js';
import { REVIEW_VERSIONS, type AdmissionRequest, type DecodedReview, type ReviewVersion } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes a parsed JSON body into a review; throws InjectorError describing what is wrong. */
export function decodeReview(body: unknown): DecodedReview {
  if (!isObject(body)) throw new InjectorError('NOT_ADMISSION_REVIEW', 'the body must be a JSON object of kind AdmissionReview');
  if (body.kind !== 'AdmissionReview') {
    throw new InjectorError('NOT_ADMISSION_REVIEW', `expected kind 'AdmissionReview', got ${JSON.stringify(body.kind ?? null)}`);
  }
  if (!REVIEW_VERSIONS.includes(body.apiVersion as ReviewVersion)) {
    throw new InjectorError(
      'UNSUPPORTED_REVIEW_VERSION',
      `unsupported apiVersion ${JSON.stringify(body.apiVersion ?? null)}: use one of ${REVIEW_VERSIONS.join(', ')}`,
    );
  }
  const request = body.request;
  if (!isObject(request)) throw new InjectorError('MISSING_REQUEST', 'the AdmissionReview has no request object');
  if (typeof request.uid !== 'string' || request.uid.length === 0) {
    throw new InjectorError('MISSING_UID', 'the AdmissionReview request has no uid (a non-empty string)');
  }
  return { apiVersion: body.apiVersion as ReviewVersion, request: request as unknown as AdmissionRequest };
}

/** True when the review is about creating a Pod itself (not a subresource such as pods/exec). */
export function isPodCreate(request: AdmissionRequest): boolean {
  const kind: unknown = request.kind;
  const isPod = isObject(kind) && kind.group === '' && kind.kind === 'Pod';
  const subResource = request.subResource ?? '';
  return isPod && subResource === '' && request.operation === 'CREATE';
}
