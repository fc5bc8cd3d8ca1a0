/**
 * Templates defined in the injector config or values (`templates.<name>`), used through
 * `inject.istio.io/templates`. They are data overlays: YAML of a pod fragment (metadata and spec)
 * merged over the pod like the built-in templates. One Go template construct is understood, because
 * it is how overlays address every app container:
 *
 *   {{- range $index, $container := .Spec.Containers }}
 *   - name: {{ $container.Name }}
 *     ...
 *   {{- end }}
 *
 * The block is repeated for each container of the pod with `{{ $container.Name }}` filled in. A pod
 * that selects a template with any other `{{ ... }}` action is denied with an error naming the
 * template; such templates may sit in the configuration (Istio's own ConfigMap has several that
 * are not for pods) as long as no pod selects them.
 */
import { parse as parseYaml } from 'yaml';
import { InjectorError } from '../errors.js';
import type { JsonObject, Pod } from './types.js';

const RANGE = /\{\{-?\s*range\s+\$\w+\s*,\s*\$(\w+)\s*:=\s*\.Spec\.Containers\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}/g;

/** Expands and parses a custom template into a pod fragment. */
export function renderCustomTemplate(name: string, text: string, pod: Pod): JsonObject {
  const containers = ((pod.spec?.containers ?? []) as JsonObject[]).map((c) => String(c.name ?? ''));
  const expanded = text.replace(RANGE, (_all, variable: string, body: string) => {
    const field = new RegExp(`\\{\\{-?\\s*\\$${variable}\\.Name\\s*-?\\}\\}`, 'g');
    return containers.map((container) => body.replace(field, container)).join('');
  });
  const leftover = /\{\{[\s\S]*?\}\}/.exec(expanded);
  if (leftover !== null) {
    throw new InjectorError(
      'INVALID_ANNOTATION',
      `invalid value for annotation 'inject.istio.io/templates': template '${name}' uses the Go template action '${leftover[0]}', which is not supported: custom templates are YAML overlays (see the README, "Custom templates")`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(expanded);
  } catch (err) {
    throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation 'inject.istio.io/templates': template '${name}' is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation 'inject.istio.io/templates': template '${name}' must be a map with metadata and/or spec`);
  return parsed as JsonObject;
}
