/** AdmissionReview: envelope decoding and responses. */
export { decodeReview, isPodCreate } from './decode.js';
export { allow, deny, type AllowOptions } from './respond.js';
export type * from './types.js';
