/**
 * Error bodies in the shape of a Kubernetes `Status`: when a call fails, the apiserver keeps the
 * message of such a body in the error it reports (`failed calling webhook ...: <message>`).
 */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  status: 'Failure';
  code: number;
  reason: string;
  message: string;
}

/** A Status body for an HTTP error answer. */
export function statusBody(code: number, reason: string, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}
