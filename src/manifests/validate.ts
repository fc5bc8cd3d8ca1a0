/**
 * Checks installation values against the chart's schema, as Helm does before rendering, and lists
 * every problem at once with the key path in the values file's terms (`webhook.failurePolicy`).
 */
import { Ajv, type ErrorObject } from 'ajv';
import { InjectorError } from '../errors.js';
import { VALUES_SCHEMA } from './values-schema.js';

let compiled: ReturnType<Ajv['compile']> | undefined;

function describe(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
  const allowed = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${path}: ${error.message ?? error.keyword}${allowed}`;
}

/** Throws a USAGE error naming each value the chart's values.schema.json refuses. */
export function validateValues(values: unknown): void {
  // strict: false — the schema carries annotations (title, description) Ajv's strict mode flags.
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(VALUES_SCHEMA);
  if (compiled(values)) return;
  // anyOf reports each failed branch and then itself; our consts are only the empty-string branch
  // of an anyOf: the other branch says what was wrong.
  const problems = [...new Set((compiled.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'const').map(describe))];
  throw new InjectorError('USAGE', `invalid values (charts/sidecar-injector/values.schema.json): ${problems.join('; ')}`);
}
