/** Installation resources (Deployment, Service, RBAC, webhook configuration...) as plain objects. */
export { buildManifests, fullname, selectorLabels, serverArgs, tlsSecretName, type Manifest, type Release } from './resources.js';
export { CERTIFICATE_MODES, defaultValues, PATHS, TERMINATION_MARGIN_SECONDS, type CertificateMode, type InstallValues } from './values.js';
export * from './webhook-configuration.js';
