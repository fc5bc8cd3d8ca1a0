/**
 * The `userInfo` of a review, as the apiserver's authenticators fill it in. Every user carries
 * `extra["authentication.kubernetes.io/credential-id"]`: the SHA-256 of the client certificate for
 * x509 users, the token's JTI for service accounts (which also have a uid).
 */
import { createHash, randomUUID, X509Certificate } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

/** An x509 client certificate's user: CN is the name, each O a group, plus system:authenticated. */
export function x509User(certPem: string): UserInfo {
  const cert = new X509Certificate(certPem);
  const fields = cert.subject.split('\n');
  const value = (key: string) => fields.filter((f) => f.startsWith(`${key}=`)).map((f) => f.slice(key.length + 1));
  return {
    username: value('CN')[0] ?? '',
    groups: [...value('O'), 'system:authenticated'],
    extra: { [CREDENTIAL_ID]: [`X509SHA256=${createHash('sha256').update(cert.raw).digest('hex')}`] },
  };
}

/** A service account's user, as a token of it authenticates (a new JTI unless given). */
export function serviceAccountUser(namespace: string, name: string, ids: { uid?: string; jti?: string } = {}): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid: ids.uid ?? randomUUID(),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    extra: { [CREDENTIAL_ID]: [`JTI=${ids.jti ?? randomUUID()}`] },
  };
}

/** kubeadm's admin user (kubernetes-admin in kubeadm:cluster-admins), with a certificate digest. */
export const KUBEADM_ADMIN: UserInfo = {
  username: 'kubernetes-admin',
  groups: ['kubeadm:cluster-admins', 'system:authenticated'],
  extra: { [CREDENTIAL_ID]: ['X509SHA256=4d6b0a3c1f0e59e0f5c4f1c9a9c5d1b2e7f8a3b4c5d6e7f8091a2b3c4d5e6f70'] },
};
