/** AdmissionReview: envelope decoding and responses. */
export { decodeReview, isPodCreate } from './decode.js';
export { allow, deny, serializeReview, type AllowOptions } from './respond.js';
export type * from './types.js';
