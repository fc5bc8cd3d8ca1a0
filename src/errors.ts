/**
 * The one catalogue of errors a user can meet. Every error carries a stable code, a message a user
 * can act on and the HTTP status the webhook answers with when the error ends a review.
 * Add new errors here, never ad hoc: `test/unit/errors.test.ts` checks the catalogue.
 */
export const ERROR_CATALOGUE = {
  // Envelope problems: the apiserver never sends these, so they are answered with a 4xx.
  BODY_EMPTY: { status: 400, summary: 'the request body is empty' },
  BODY_NOT_JSON: { status: 400, summary: 'the request body is not valid JSON' },
  BODY_TOO_LARGE: { status: 413, summary: 'the request body is larger than the configured limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the Content-Type is not application/json' },
  NOT_ADMISSION_REVIEW: { status: 400, summary: 'the body is not an AdmissionReview' },
  UNSUPPORTED_REVIEW_VERSION: { status: 400, summary: 'the AdmissionReview apiVersion is not supported' },
  MISSING_REQUEST: { status: 400, summary: 'the AdmissionReview has no request' },
  MISSING_UID: { status: 400, summary: 'the AdmissionReview request has no uid' },
  // Pod problems: answered in an AdmissionReview.
  INVALID_POD: { status: 400, summary: 'the object is not a valid Pod' },
  INVALID_ANNOTATION: { status: 400, summary: 'an annotation has an invalid value' },
  INJECTION_FAILED: { status: 500, summary: 'the sidecar could not be rendered' },
  PATCH_VERIFICATION_FAILED: { status: 500, summary: 'the computed patch does not apply to the pod' },
  REVIEW_BUDGET_EXCEEDED: { status: 500, summary: "the review took longer than its share of the apiserver's timeout" },
  // Configuration and start-up.
  INVALID_CONFIG: { status: 500, summary: 'the injector configuration is invalid' },
  CONFIG_NOT_FOUND: { status: 500, summary: 'a configuration file could not be read' },
  CERT_UNAVAILABLE: { status: 500, summary: 'no serving certificate could be loaded' },
  USAGE: { status: 400, summary: 'the command line is invalid' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a catalogue code, a user-facing message and its HTTP status. */
export class InjectorError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_CATALOGUE[code].summary, options);
    this.name = 'InjectorError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
  }
}

/** True for errors from the catalogue. */
export function isInjectorError(err: unknown): err is InjectorError {
  return err instanceof InjectorError;
}
