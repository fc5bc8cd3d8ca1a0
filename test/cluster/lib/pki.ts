/**
 * Certificates and keys of a local control plane, as kubeadm lays them out: one cluster CA, the
 * apiserver's serving certificate, client certificates whose subject carries the user (CN) and
 * groups (O) that the apiserver's x509 authenticator reads, and the service-account signing key
 * pair shared by the apiserver (signs and verifies tokens) and the controller manager.
 */
import { generateKeyPairSync } from 'node:crypto';
import { generateCa, generateClientCert, generateServingCert, type KeyPair } from '../../../src/certs/generate.js';

export type { KeyPair };

export interface ControlPlanePki {
  ca: KeyPair;
  apiserver: KeyPair;
  admin: KeyPair;
  controllerManager: KeyPair;
  serviceAccount: { privateKey: string; publicKey: string };
}

/** The first address of the service range: the `kubernetes` Service's ClusterIP. */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';

export async function generateControlPlanePki(): Promise<ControlPlanePki> {
  const ca = await generateCa({ commonName: 'local-control-plane-ca' });
  const sans = ['localhost', '127.0.0.1', KUBERNETES_SERVICE_IP, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const apiserver = await generateServingCert(ca, { sans, commonName: 'kube-apiserver' });
  // system:masters is the group RBAC always allows; system:kube-controller-manager is the user the
  // bootstrap policy grants the controller manager's own permissions to (as in kubeadm).
  const admin = await generateClientCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'] });
  const controllerManager = await generateClientCert(ca, { commonName: 'system:kube-controller-manager' });
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccount = {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  return { ca, apiserver, admin, controllerManager, serviceAccount };
}

/** A kubeconfig with everything embedded, so it can be copied or moved freely. */
export function kubeconfigYaml(server: string, ca: KeyPair, user: { name: string; pair: KeyPair }): string {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca.cert)}
users:
- name: ${user.name}
  user:
    client-certificate-data: ${b64(user.pair.cert)}
    client-key-data: ${b64(user.pair.key)}
contexts:
- name: ${user.name}@local
  context:
    cluster: local
    user: ${user.name}
current-context: ${user.name}@local
`;
}
