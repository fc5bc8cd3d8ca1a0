/** AdmissionReview: envelope decoding and responses. */
export { decodeReview, isPodCreate } from './decode.js';
export { allow, deny, encodePatch, serializeReview, type AllowOptions } from './respond.js';
export { ReviewCache, DEFAULT_REVIEW_CACHE_ENTRIES, type CachedInjection } from './review-cache.js';
export type * from './types.js';
