/**
 * Validation of the merged configuration. Every problem is collected, so a user fixes them all in
 * one go instead of one per restart.
 */
import { isValidQuantity } from '../injection/quantity.js';

const PULL_POLICIES = ['', 'Always', 'IfNotPresent', 'Never'];
const INTERCEPTION_MODES = ['REDIRECT', 'TPROXY', 'NONE'];
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lists the problems of values, mesh and injector settings; empty when valid. */
export function configProblems(values: Record<string, any>, mesh: Record<string, any>, injector: Record<string, any>, builtinTemplates: readonly string[]): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const global = values.global;
  if (!isMap(global)) {
    problems.push('values: global must be a map');
  } else {
    expect(typeof global.hub === 'string' && global.hub !== '', 'values: global.hub must be a non-empty string');
    expect(typeof global.tag === 'string' || typeof global.tag === 'number', 'values: global.tag must be a string');
    expect(PULL_POLICIES.includes(global.imagePullPolicy ?? ''), `values: global.imagePullPolicy '${global.imagePullPolicy}' must be one of Always, IfNotPresent, Never or empty`);
    expect(Array.isArray(global.imagePullSecrets ?? []), 'values: global.imagePullSecrets must be a list of secret names');
    const proxy = global.proxy;
    if (!isMap(proxy)) {
      problems.push('values: global.proxy must be a map');
    } else {
      const port = Number(proxy.statusPort);
      expect(Number.isInteger(port) && port >= 0 && port <= 65535, `values: global.proxy.statusPort '${proxy.statusPort}' must be a port number (0 disables it)`);
      for (const key of ['readinessInitialDelaySeconds', 'readinessPeriodSeconds', 'readinessFailureThreshold']) {
        expect(Number.isInteger(Number(proxy[key])) && Number(proxy[key]) >= 0, `values: global.proxy.${key} '${proxy[key]}' must be a non-negative integer`);
      }
      if (isMap(proxy.resources)) {
        for (const section of ['requests', 'limits']) {
          for (const [name, quantity] of Object.entries(proxy.resources[section] ?? {})) {
            expect(quantity === null || isValidQuantity(quantity as string | number), `values: global.proxy.resources.${section}.${name} '${quantity}' is not a quantity`);
          }
        }
      } else {
        expect(proxy.resources === undefined || proxy.resources === null, 'values: global.proxy.resources must be a map');
      }
    }
  }
  const cni = values.pilot?.cni;
  expect(cni === undefined || typeof cni.enabled === 'boolean', 'values: pilot.cni.enabled must be true or false');

  const proxyConfig = mesh.defaultConfig;
  if (!isMap(proxyConfig)) {
    problems.push('mesh: defaultConfig must be a map');
  } else {
    const mode = proxyConfig.interceptionMode;
    expect(mode === undefined || INTERCEPTION_MODES.includes(mode), `mesh: defaultConfig.interceptionMode '${mode}' must be one of ${INTERCEPTION_MODES.join(', ')}`);
    for (const key of ['drainDuration', 'terminationDrainDuration']) {
      const value = proxyConfig[key];
      expect(value === undefined || (typeof value === 'string' && DURATION.test(value)), `mesh: defaultConfig.${key} '${value}' must be a duration such as 45s`);
    }
    const metadata = proxyConfig.proxyMetadata;
    expect(metadata === undefined || (isMap(metadata) && Object.values(metadata).every((v) => typeof v === 'string')), 'mesh: defaultConfig.proxyMetadata must map names to strings');
  }

  expect(['enabled', 'disabled'].includes(injector.policy), `config: policy '${injector.policy}' must be enabled or disabled`);
  for (const key of ['alwaysInjectSelector', 'neverInjectSelector']) {
    const selectors = injector[key] ?? [];
    expect(Array.isArray(selectors) && selectors.every(isMap), `config: ${key} must be a list of label selectors`);
  }
  expect(isMap(injector.injectedAnnotations ?? {}) && Object.values(injector.injectedAnnotations ?? {}).every((v) => typeof v === 'string'), 'config: injectedAnnotations must map names to strings');
  const templates = injector.templates ?? {};
  expect(isMap(templates) && Object.values(templates).every((t) => typeof t === 'string'), 'config: templates must map names to template text');
  const defaults = injector.defaultTemplates ?? [];
  if (!Array.isArray(defaults) || !defaults.every((t) => typeof t === 'string')) {
    problems.push('config: defaultTemplates must be a list of template names');
  } else {
    for (const name of defaults) {
      expect(builtinTemplates.includes(name) || (isMap(templates) && name in templates), `config: defaultTemplates names '${name}', which is neither built in nor defined under templates`);
    }
  }
  return problems;
}
